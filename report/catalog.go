package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch/vocab"
)

// Languages the HTML report is written in.
var Languages = []string{"en", "uk", "ru"}

// catalog holds every string of the HTML report in each language. Tables
// and "label: number" lines keep counts out of sentences, so no message
// needs plural forms. TestCatalogComplete checks every entry has all three.
var catalog = map[string]Names{
	"title":              {"Daily Report", "Щоденний звіт", "Ежедневный отчёт"},
	"as_of":              {"Based on information received as of", "На підставі інформації, отриманої станом на", "На основании информации, полученной по состоянию на"},
	"report_day":         {"Report day", "Звітна доба", "Отчётные сутки"},
	"hours":              {"hours", "год", "ч"},
	"provisional":        {"Provisional: the day had not ended when this report was produced; figures will change.", "Попередній: доба ще не закінчилася, коли було складено звіт; дані зміняться.", "Предварительный: сутки ещё не закончились на момент составления отчёта; данные изменятся."},
	"agreement_day":      {"Day of the agreement", "День дії угоди", "День действия соглашения"},
	"agreement":          {"Agreement", "Угода", "Соглашение"},
	"summary":            {"Summary", "Підсумок", "Сводка"},
	"source":             {"Source of figures", "Джерело даних", "Источник данных"},
	"src_observations":   {"observations (reports as submitted, unverified, not de-duplicated)", "спостереження (повідомлення як подані, неперевірені, без усунення дублікатів)", "наблюдения (сообщения как поданы, непроверенные, без устранения дубликатов)"},
	"src_incidents":      {"incidents (reports of the same event merged; rejected incidents excluded)", "інциденти (повідомлення про одну подію об'єднано; відхилені інциденти виключено)", "инциденты (сообщения об одном событии объединены; отклонённые инциденты исключены)"},
	"src_violations":     {"violations found by the compliance engine", "порушення, встановлені модулем перевірки дотримання", "нарушения, установленные модулем проверки соблюдения"},
	"src_cases":          {"violation cases", "справи про порушення", "дела о нарушениях"},
	"src_response_steps": {"response protocol steps", "кроки протоколів реагування", "шаги протоколов реагирования"},
	"src_no_data":        {"no data provided to this report", "дані до звіту не надано", "данные в отчёт не предоставлены"},
	"caveat":             {"Caveat", "Застереження", "Оговорка"},
	"caveat_text":        {CaveatObservations, "Дані підраховано зі спостережень: повідомлень у тому вигляді, як їх подано, до того як аналітики об'єднали повідомлення про одну подію в інциденти чи перевірили їх. Одну подію, про яку повідомили два джерела, пораховано двічі, і жодне повідомлення не перевірено.", "Данные подсчитаны по наблюдениям: сообщениям в том виде, как их подали, до того как аналитики объединили сообщения об одном событии в инциденты или проверили их. Одно событие, о котором сообщили два источника, посчитано дважды, и ни одно сообщение не проверено."},
	"caveat_incidents":   {"Figures are counted from incidents: reports of the same event merged into one. Incidents not (yet) verified by analysts: %s of %s.", "Дані підраховано з інцидентів: повідомлення про одну подію об'єднано. Інцидентів, ще не перевірених аналітиками: %s із %s.", "Данные подсчитаны по инцидентам: сообщения об одном событии объединены. Инцидентов, ещё не проверенных аналитиками: %s из %s."},
	"cfv":                {"Ceasefire violations", "Порушення режиму припинення вогню", "Нарушения режима прекращения огня"},
	"cfv_total":          {"Ceasefire violations recorded", "Зафіксовано порушень режиму припинення вогню", "Зафиксировано нарушений режима прекращения огня"},
	"including_expl":     {"including explosions", "зокрема вибухів", "в том числе взрывов"},
	"previous_day":       {"previous day", "попередня доба", "предыдущие сутки"},
	"previous_col":       {"Previous day", "Попередня доба", "Предыдущие сутки"},
	"area":               {"Area", "Район", "Район"},
	"explosions":         {"Explosions", "Вибухи", "Взрывы"},
	"projectiles":        {"Projectiles in flight", "Снаряди в польоті", "Снаряды в полёте"},
	"flashes":            {"Muzzle flashes", "Дульні спалахи", "Дульные вспышки"},
	"flares":             {"Illumination flares", "Освітлювальні ракети", "Осветительные ракеты"},
	"bursts":             {"Bursts and shots", "Черги та постріли", "Очереди и выстрелы"},
	"total":              {"Total", "Усього", "Всего"},
	"change":             {"Change", "Зміна", "Изменение"},
	"day":                {"Day", "Доба", "Сутки"},
	"none_recorded":      {"None recorded.", "Не зафіксовано.", "Не зафиксировано."},
	"weapons":            {"Weapons", "Озброєння", "Вооружение"},
	"w_violation":        {"Weapons in violation of withdrawal lines", "Озброєння з порушенням ліній відведення", "Вооружение в нарушение линий отвода"},
	"w_outside":          {"Weapons beyond withdrawal lines but outside designated storage sites", "Озброєння за лініями відведення, але поза визначеними місцями зберігання", "Вооружение за линиями отвода, но вне определённых мест хранения"},
	"w_indeterminate":    {"Weapons whose position or owner could not be assessed", "Озброєння, положення чи належність якого не вдалося оцінити", "Вооружение, положение или принадлежность которого не удалось оценить"},
	"w_missing":          {"Weapons missing from holding areas", "Озброєння, відсутнє в місцях зберігання", "Вооружение, отсутствующее в местах хранения"},
	"time":               {"Time", "Час", "Время"},
	"weapon":             {"Weapon", "Озброєння", "Вооружение"},
	"count":              {"Number", "Кількість", "Количество"},
	"party":              {"Party", "Сторона", "Сторона"},
	"distance_line":      {"Distance from its line", "Відстань від своєї лінії", "Расстояние от своей линии"},
	"limit":              {"limit", "межа", "предел"},
	"location":           {"Location", "Місце", "Место"},
	"holding_area":       {"Holding area", "Місце зберігання", "Место хранения"},
	"declared":           {"declared", "заявлено", "заявлено"},
	"unknown":            {"unknown", "невідомо", "неизвестно"},
	"restrictions":       {"Restrictions of the Mission's freedom of movement", "Обмеження свободи пересування Місії", "Ограничения свободы передвижения Миссии"},
	"interference":       {"Interference with the Mission's equipment (UAV jamming, shoot-downs, damage)", "Втручання в роботу обладнання Місії (глушіння БПЛА, збиття, пошкодження)", "Вмешательство в работу оборудования Миссии (глушение БПЛА, сбивание, повреждения)"},
	"casualties":         {"Civilian casualties", "Жертви серед цивільного населення", "Жертвы среди гражданского населения"},
	"casualties_total":   {"Civilian casualties reported (persons)", "Повідомлено про жертв серед цивільних (осіб)", "Сообщено о жертвах среди гражданских (человек)"},
	"cases":              {"Violation cases", "Справи про порушення", "Дела о нарушениях"},
	"cases_opened":       {"Opened", "Відкрито", "Открыто"},
	"cases_closed":       {"Closed", "Закрито", "Закрыто"},
	"cases_open_end":     {"Open at the end of the day", "Відкритих на кінець доби", "Открытых на конец суток"},
	"case":               {"Case", "Справа", "Дело"},
	"commitment":         {"Commitment", "Зобов'язання", "Обязательство"},
	"status":             {"Status", "Статус", "Статус"},
	"steps":              {"Response steps", "Кроки реагування", "Шаги реагирования"},
	"steps_due":          {"Due", "Строк настав", "Срок наступил"},
	"steps_done":         {"Done", "Виконано", "Выполнено"},
	"steps_missed":       {"Missed (not done by the deadline)", "Пропущено (не виконано до строку)", "Пропущено (не выполнено в срок)"},
	"steps_overdue":      {"Overdue at the end of the day", "Прострочено на кінець доби", "Просрочено на конец суток"},
	"step":               {"Step", "Крок", "Шаг"},
	"actor":              {"Actor", "Виконавець", "Исполнитель"},
	"action":             {"Action", "Дія", "Действие"},
	"deadline":           {"Deadline", "Строк", "Срок"},
	"done_at":            {"Done at", "Виконано о", "Выполнено в"},
	"not_done":           {"not done", "не виконано", "не выполнено"},
	"of_town":            {"of", "від н. п.", "от н. п."},
	"in_town":            {"in", "у н. п.", "в н. п."},
	"controlled_by":      {"area controlled by", "район під контролем", "район под контролем"},
	"no_position":        {"position not reported", "місце не вказано", "место не указано"},
	"ledger_note":        {"This report is a record of the Mission's public ledger", "Цей звіт є записом публічного реєстру Місії", "Этот отчёт является записью публичного реестра Миссии"},
	"km":                 {"km", "км", "км"},
	"mm":                 {"mm", "мм", "мм"},
	"exports":            {"Exports", "Експорт", "Экспорт"},
}

// T returns the catalog entry for key in lang (the key itself if missing,
// which TestCatalogComplete prevents).
func T(lang, key string) string {
	n, ok := catalog[key]
	if !ok {
		return key
	}
	return n.In(lang)
}

var categoryNames = map[vocab.Category]Names{
	vocab.MovementRestriction:   {"Restriction of movement", "Обмеження пересування", "Ограничение передвижения"},
	vocab.EquipmentInterference: {"Interference with equipment", "Втручання в роботу обладнання", "Вмешательство в работу оборудования"},
	vocab.CivilianCasualty:      {"Civilian casualty", "Жертва серед цивільних", "Жертва среди гражданских"},
}

var weaponNames = map[vocab.WeaponClass]Names{
	vocab.Mortar:            {"Mortar (up to 120 mm)", "Міномет (до 120 мм)", "Миномёт (до 120 мм)"},
	vocab.ArtilleryUnder100: {"Artillery under 100 mm", "Артилерія калібру до 100 мм", "Артиллерия калибра до 100 мм"},
	vocab.Artillery:         {"Artillery of 100 mm and more", "Артилерія калібру 100 мм і більше", "Артиллерия калибра 100 мм и более"},
	vocab.Tank:              {"Tank", "Танк", "Танк"},
	vocab.ArmouredVehicle:   {"Armoured combat vehicle", "Бойова броньована машина", "Боевая бронированная машина"},
	vocab.AntiTank:          {"Anti-tank weapon", "Протитанкова зброя", "Противотанковое оружие"},
	vocab.MLRS:              {"Multiple rocket launcher", "Реактивна система залпового вогню", "Реактивная система залпового огня"},
	vocab.HeavyMLRS:         {"Tornado-S / Uragan / Smerch", "Торнадо-С / Ураган / Смерч", "Торнадо-С / Ураган / Смерч"},
	vocab.TacticalMissile:   {"Tochka-class tactical missile", "Тактичний ракетний комплекс класу «Точка»", "Тактический ракетный комплекс класса «Точка»"},
	vocab.AirDefence:        {"Air defence system", "Зенітний комплекс", "Зенитный комплекс"},
	vocab.CombatAircraft:    {"Combat aircraft", "Бойовий літак", "Боевой самолёт"},
	vocab.AttackHelicopter:  {"Attack helicopter", "Ударний гелікоптер", "Ударный вертолёт"},
	vocab.AttackDrone:       {"Attack drone / loitering munition", "Ударний дрон / баражуючий боєприпас", "Ударный дрон / барражирующий боеприпас"},
	vocab.SmallArms:         {"Small arms and light weapons", "Стрілецька зброя", "Стрелковое оружие"},
	vocab.UnknownWeapon:     {"Unknown weapon", "Невідоме озброєння", "Неизвестное вооружение"},
}

var actionNames = map[vocab.ActionKind]Names{
	vocab.ActionNotify:        {"Notify", "Повідомлення", "Уведомление"},
	vocab.ActionConsult:       {"Consult", "Консультації", "Консультации"},
	vocab.ActionStatement:     {"Public statement", "Публічна заява", "Публичное заявление"},
	vocab.ActionSanctions:     {"Sanctions", "Санкції", "Санкции"},
	vocab.ActionAssistance:    {"Assistance", "Допомога", "Помощь"},
	vocab.ActionDeployment:    {"Deployment", "Розгортання", "Развёртывание"},
	vocab.ActionInvestigation: {"Investigation", "Розслідування", "Расследование"},
	vocab.ActionOther:         {"Other", "Інше", "Другое"},
}

var compassNames = map[string]Names{
	"N": {"N", "пн", "с"}, "NE": {"NE", "пн-сх", "св"}, "E": {"E", "сх", "в"}, "SE": {"SE", "пд-сх", "юв"},
	"S": {"S", "пд", "ю"}, "SW": {"SW", "пд-зх", "юз"}, "W": {"W", "зх", "з"}, "NW": {"NW", "пн-зх", "сз"},
}

var months = map[string][12]string{
	"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	"uk": {"січня", "лютого", "березня", "квітня", "травня", "червня", "липня", "серпня", "вересня", "жовтня", "листопада", "грудня"},
	"ru": {"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"},
}

// formatDate writes a calendar day as each language writes it in prose.
func formatDate(lang string, t time.Time) string {
	m := months[lang]
	if m[0] == "" {
		m = months["en"]
	}
	s := fmt.Sprintf("%d %s %d", t.Day(), m[t.Month()-1], t.Year())
	switch lang {
	case "uk":
		s += " р."
	case "ru":
		s += " г."
	}
	return s
}

// formatInt groups thousands: "12,345" in English, "12 345" (no-break
// space) in Ukrainian and Russian.
func formatInt(lang string, n int) string {
	s := strconv.Itoa(abs(n))
	sep := ","
	if lang == "uk" || lang == "ru" {
		sep = "\u00a0"
	}
	var b strings.Builder
	if n < 0 {
		b.WriteString("−")
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// formatChange writes a day-on-day change with its sign: +12, −5, 0.
func formatChange(lang string, n int) string {
	if n > 0 {
		return "+" + formatInt(lang, n)
	}
	return formatInt(lang, n)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// formatFloat writes a decimal with the language's separator: 21.5 / 21,5.
func formatFloat(lang string, f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if lang == "uk" || lang == "ru" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}
