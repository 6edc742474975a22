package assess

// kind is what a cue tells the analyser.
type kind int

const (
	kMandatory      kind = iota // shall, undertake, obligation: binding wording
	kFuture                     // will, would: binding in a treaty, a statement of intent elsewhere
	kHortatory                  // should, may, endeavour: no duty
	kIntend                     // intend, stand ready, be prepared to: an assurance by itself
	kAct                        // an act for the protected state: assist, armed force, sanctions
	kConsult                    // consult, meet, confer
	kSeek                       // seek action by others (the Security Council, the League's Council)
	kDefer                      // determine, agree on, recommend: a further decision on what to do
	kRestrain                   // refrain, respect, not attack, cease fire, withdraw
	kSupport                    // support, mutual aid, capacity building: help without a trigger
	kUphold                     // "guarantee the independence": a status promised, no act
	kMarker                     // if, in the event, should (conditional)
	kAttack                     // armed attack, aggression, hostilities, war
	kTrigger                    // a complete trigger: "an attack against one … against them all", "in that event"
	kOpinion                    // "in the opinion of": the trigger is left to a judgement
	kNarrow                     // only communist aggression, nuclear weapons used, flagrant
	kWhether                    // if necessary, reserves the right, subject to mutual agreement
	kHow                        // such action as it deems necessary: freedom over how, not whether
	kConstitutional             // constitutional processes, legislation
	kCommonDanger               // act to meet the common danger
	kCarveOut                   // shall not prejudice, except
	kHedge                      // where possible, as appropriate
	kImmediacy                  // immediately, forthwith, without delay
	kDeadline                   // within 24 hours, as of 15 February
	kDistance                   // 50 km
	kMonitor                    // monitoring, verification: a third party checks
	kBody                       // a third-party body: Security Council, OSCE, Organ of Consultation
	kDefinition                 // is deemed to include: a definition, not a promise
	kNegation                   // not, never, без
	kTreaty                     // instrument-level: enter into force, ratify, High Contracting Parties
	kPolitical                  // instrument-level: Participants, come into effect, not legally binding
)

// Responses a clause can promise (Dimensions.Response).
const (
	ArmedForce         = "armed_force"
	MilitaryAssistance = "military_assistance"
	Sanctions          = "sanctions"
	EconomicAid        = "economic_aid"
	Consultation       = "consultation"
	Action             = "action" // an act whose kind the clause leaves open
	NoResponse         = "none"
)

// cueDef is one lexicon entry: patterns per language (see pattern) that
// signal kind. Cues with mask hide their words from the cues after them, so
// that "Organ of Consultation" is not a promise to consult and "mutual aid"
// is not a promise of aid.
type cueDef struct {
	kind     kind
	name     string
	response string // for kAct
	mask     bool
	en       []string
	uk       []string
	ru       []string
}

func (c *cueDef) patterns(lang string) []string {
	switch lang {
	case "uk":
		return c.uk
	case "ru":
		return c.ru
	}
	return c.en
}

// lexicon is ordered: masks first, then specific acts before general ones
// (the words of an act are used by one act cue only).
var lexicon = []cueDef{
	// ---- masks
	{kind: kBody, name: "third-party body", mask: true,
		en: []string{"organ of consultation", "security council", "council of the league", "osce", "international mechanism", "general assembly", "ifor|kfor|unprofor|unifil", "peacekeeping ~2 force|forces|contingent|mission"},
		uk: []string{"рад* безпеки", "обсє", "міжнародн* механізм*"},
		ru: []string{"совет* безопасности", "обсе", "международн* механизм*"}},
	{kind: kSupport, name: "capacity to resist", mask: true,
		en: []string{"capacity|capacities|capability|capabilities|means ~2 to resist|deter|repel"},
		uk: []string{"спроможн* ~2 протистоя*|стриму*|відбива*"},
		ru: []string{"потенциал*|способност* ~2 противосто*|сдержива*|отраж*"}},
	{kind: kSupport, name: "mutual aid", mask: true,
		en: []string{"mutual aid", "self-help|self", "mutual assistance"},
		uk: []string{"взаємодопомог*", "взаємн* допомог*"},
		ru: []string{"взаимопомощ*", "взаимн* помощ*"}},
	{kind: kDefinition, name: "review of the instrument", mask: true,
		en: []string{"consult ~3 for the purpose of reviewing|review"},
		uk: []string{"консульт* ~3 перегляд*"},
		ru: []string{"консульт* ~3 пересмотр*"}},
	{kind: kDefinition, name: "procedure of consultations", mask: true,
		en: []string{"the consultations ~2 to which", "consultations ~6 shall be carried out by"},
		uk: []string{"консультації ~2 про які", "консультації ~6 проводяться через"},
		ru: []string{"консультации ~2 о которых", "консультации ~6 проводятся посредством"}},
	{kind: kDefinition, name: "definition", mask: true,
		en: []string{"deemed to include", "will|shall comprise", "the following shall be considered", "considered as such", "may characterize as"},
		uk: []string{"вважається таким ~2 включає"},
		ru: []string{"считается включающ*"}},

	// ---- obligation
	{kind: kMandatory, name: "mandatory",
		en: []string{"shall", "must", "undertake|undertakes|undertaken|undertaking|undertook", "obligation|obligations|obliged", "bound to", "commit|commits|committed|commitment|commitments", "agree|agrees that|to", "duty", "pledge|pledges|pledged"},
		uk: []string{"зобов'яз*", "повинн*", "мають обов'язок", "погоджу* ~1 що"},
		ru: []string{"обязу*", "обязан*", "обязательств*", "должн*", "соглаша* ~2 что"}},
	{kind: kFuture, name: "will",
		en: []string{"will|would"},
		uk: []string{"буде|будуть|будемо|б|би"},
		ru: []string{"будет|будут|будем|бы"}},
	{kind: kHortatory, name: "hortatory",
		en: []string{"should", "may", "endeavour*|endeavor*", "aim to", "hope*", "will seek to"},
		uk: []string{"слід", "може|можуть", "прагн*"},
		ru: []string{"следует", "может|могут", "стрем*"}},
	{kind: kIntend, name: "intent",
		en: []string{"intend|intends", "expresses ~2 intention", "provide|give|extend ~2 assurances|assurance", "stand|stands ready", "prepared to", "resolve|resolves to", "determined to"},
		uk: []string{"намір*", "готов*"},
		ru: []string{"намерен*", "готов*"}},

	// ---- acts, specific first
	{kind: kAct, name: "armed force", response: ArmedForce,
		en: []string{"armed force|forces", "military force|forces", "with all ~3 forces", "all her|his|its|their available forces", "employ ~4 forces|resources", "fight|fighting", "repel|resist"},
		uk: []string{"застосуванн* збройн* сил*", "збройн* сил* ~2 відсіч*", "протистоя*|відсіч*"},
		ru: []string{"применени* вооруженн* сил*", "вооруженн* сил*ой", "противосто*|отраж*"}},
	{kind: kAct, name: "economic aid", response: EconomicAid,
		en: []string{"economic|financial|humanitarian|technical assistance|aid"},
		uk: []string{"економічн*|фінансов*|гуманітарн*|технічн* допомог*"},
		ru: []string{"экономическ*|финансов*|гуманитарн*|техническ* помощ*"}},
	{kind: kAct, name: "sanctions", response: Sanctions,
		en: []string{"sanction|sanctions", "severance of ~4 relations", "interruption of ~3 relations", "impose ~4 costs", "breaking of ~2 relations"},
		uk: []string{"санкці*", "запроваджу* ~4 витрат*"},
		ru: []string{"санкци*"}},
	{kind: kAct, name: "military assistance", response: MilitaryAssistance,
		en: []string{"military|security ~3 assistance|aid|support|equipment", "assist|assists|assisting|assistance", "aid", "help", "step to its side", "support and assistance"},
		uk: []string{"військов*|безпеков* ~3 допомог*|підтримк*|обладнанн*", "допомо*", "сприянн*"},
		ru: []string{"военн* ~3 помощ*|поддержк*|техник*", "помощ*|помож*|помог*", "содействи*"}},
	{kind: kCommonDanger, name: "act to meet the common danger", response: Action,
		en: []string{"act ~1 to meet the common danger"},
		uk: []string{"спільн* небезпек*"},
		ru: []string{"общ* опасност*"}},
	{kind: kAct, name: "action", response: Action,
		en: []string{"take|takes|taking ~9 action|measures|steps", "all steps available", "appropriate|necessary|such|effective action", "what|which action|measures|steps"},
		uk: []string{"вжи* ~6 дій|заходів", "вжив* ~6 дій|заходів"},
		ru: []string{"предприн* ~6 действи*|мер*", "приняти* мер*"}},

	// ---- the assurance family
	{kind: kConsult, name: "consult",
		en: []string{"consult|consults|consulted|consultation|consultations|consulting", "confer", "contact each other", "meet ~1 without delay", "meet ~1 immediately|within", "meet ~2 to consult|determine|agree"},
		uk: []string{"консульт*", "проконсульт*", "зустрін*|зустрічат*", "переговор*"},
		ru: []string{"консульт*", "проконсульт*", "встрет*|встреча*", "переговор*"}},
	{kind: kSeek, name: "seek",
		en: []string{"seek|seeks|seeking ~6 action|assistance|measures|support|intervention", "bring ~4 before", "refer ~3 to", "call upon"},
		uk: []string{"домага*", "звернут* до"},
		ru: []string{"добива*", "обрат* в|к"}},
	{kind: kDefer, name: "further decision",
		en: []string{"determine|determines|determining", "decide|decides", "agree|agrees|agreeing on|upon", "may agree", "recommend|recommends", "advise upon", "coordinate|coordinating", "examine|examining", "consider ~3 measures", "prepared to consider"},
		uk: []string{"визнач*", "узгод*", "координ*", "рекоменд*", "розгляну*", "ухвал*|прийм*|прийня* ~1 рішенн*"},
		ru: []string{"определ*", "согласова*", "координ*", "рекоменд*", "рассмотр*", "прин*|приня* ~1 решени*"}},
	{kind: kRestrain, name: "restraint",
		en: []string{"refrain|refrains|refraining", "abstain|abstains", "respect ~10 independence|sovereignty|sovereign|borders|frontiers|integrity", "not ~2 resort|attack|invade|use", "in no case attack", "inviolable",
			"cease-fire|ceasefire", "cessation of ~3 hostilities|weapons|fire", "prohibition of ~3 use", "withdraw|withdrawal ~8 weapons|forces|troops|formations|groups|equipment|kilometers|kilometres|personnel|positions", "not ~2 enter into military", "not provide",
			"renounce|renounces", "forbidden|prohibited", "desist", "neutrality|neutral", "stop ~3 military|hostilities|fire|attacks", "not ~3 carry out ~4 operations|attacks|actions", "not ~3 conduct|undertake ~4 operations|attacks|actions",
			"no|not|never ~3 lend|give|provide ~3 support|assistance|aid", "do not originate", "no intention", "observe ~2 cease-fire|ceasefire",
			"not ~3 participate|join ~4 coalition|coalitions|alliance|alliances|bloc|blocs", "not ~3 enter into ~3 alliance|alliances|bloc|blocs", "not ~3 take part ~4 coalition|coalitions|alliance|alliances|bloc|blocs|actions",
			"not ~12 directed against", "not ~3 accept ~3 introduction", "cease ~2 introduction", "not ~3 assert ~3 claims", "no territorial claims",
			"silence the guns", "end|cease|halt ~4 hostilities|fighting|conflict|fire", "limit|reduce|eliminate ~4 tanks|missiles|weapons|forces|armaments|vehicles|artillery|aircraft|systems"},
		uk: []string{"утриму*", "поваж* ~6 незалежн*|суверенітет*|кордон*|цілісн*", "не ~2 застосов*|використов*|напада*|вступ*|надава*|підтрим*", "припиненн* вогню|вогн*", "відвед*|відвод*|виведенн*|виве*", "непорушн*", "заборон*", "нейтралітет*", "припин* ~3 воєнн*|бойов*|вогонь", "обмеж*|скороч*|ліквід* ~4 танк*|ракет*|озброєн*|зброю|сил*", "не ~3 брати|беруть|братимуть участь|участі ~4 коаліц*|союз*|блок*", "не ~12 спрямован* проти"},
		ru: []string{"воздерж*", "уважа* ~6 независим*|суверенитет*|границ*|целостност*", "не ~2 примен*|использ*|напада*|вступ*|оказыва*|предоставля*|поддерж*", "прекращени* огня", "отвод*|отвед*|вывод*|выве*", "нерушим*", "запрещ*", "нейтралитет*", "прекрат* ~3 военн*|боев*|огонь", "ограничи*|сократи*|ликвидир* ~4 танк*|ракет*|вооружени*|оружие|сил*", "не ~3 участвов*|участвуют|примут ~4 коалици*|союз*|блок*", "не ~12 направленн* против"}},
	{kind: kSupport, name: "support",
		en: []string{"support", "maintain and develop", "capacity|capacities|capability|capabilities", "co-operate|cooperate ~3 security|defence|defense", "work with ~6 security", "defense|defence cooperation|co-operation"},
		uk: []string{"підтрим*", "спроможн*", "співпрац* ~3 безпек*|оборон*"},
		ru: []string{"поддерж*", "потенциал*", "сотрудничеств* ~3 безопасност*|оборон*", "сотруднича* ~3 безопасност*|оборон*"}},
	{kind: kUphold, name: "guarantee of a status",
		en: []string{"guarantee|guarantees ~14 independence|integrity|security|sovereignty|frontiers|borders|status|inviolability|neutrality"},
		uk: []string{"гарантую* ~4 незалежн*|цілісн*|безпек*|суверенітет*"},
		ru: []string{"гарантиру* ~4 независим*|целостност*|безопасност*|суверенитет*"}},

	// ---- trigger
	{kind: kTrigger, name: "attack on one is an attack on all",
		en: []string{"resist|repel|meet ~3 attack|attacks|aggression", "is|are at war", "attack|attacks|aggression ~16 against ~2 all", "in the war against", "in these circumstances", "in that event", "in the above-mentioned cases", "attack|aggression ~12 would be dangerous", "attack|aggression ~12 would endanger"},
		uk: []string{"протистоя*|відсіч* ~3 напад*|агрес*", "агрес* ~6 проти ~1 всіх|усіх", "напад* ~6 на ~1 всіх|усіх", "за таких обставин", "у цьому разі", "напад* ~12 небезпечн*"},
		ru: []string{"противосто*|отраж* ~3 нападени*|агресс*", "агресс* ~6 против ~1 всех", "нападени* ~6 на ~1 всех", "при таких обстоятельствах", "в этом случае", "нападени* ~12 опасн*"}},
	{kind: kMarker, name: "condition",
		en: []string{"if", "in the event", "in case", "should", "whenever", "when", "where", "upon"},
		uk: []string{"якщо", "разі", "випадку", "коли"},
		ru: []string{"если", "случае", "когда"}},
	{kind: kAttack, name: "attack",
		en: []string{"attack|attacks|attacked", "aggression", "hostilities", "war|warlike", "invasion|invaded", "military operations", "violation|breach", "recourse|resort to arms"},
		uk: []string{"напад*", "агрес*", "війн*", "воєнн* ~1 дій", "порушенн*"},
		ru: []string{"нападени*|нападен*", "агресс*", "войн*", "военн* ~1 действи*", "нарушени*"}},
	{kind: kOpinion, name: "judgement on the trigger",
		en: []string{"in the opinion of", "if it is established", "deemed to threaten", "satisfy itself"},
		uk: []string{"на думку"},
		ru: []string{"по мнению"}},
	{kind: kNarrow, name: "narrow trigger",
		en: []string{"only", "flagrant", "in which nuclear weapons are used", "communist"},
		uk: []string{"лише|тільки", "з використанням ядерної"},
		ru: []string{"только|лишь", "с применением ядерного"}},

	// ---- escapes
	{kind: kWhether, name: "freedom over whether",
		en: []string{"if necessary", "if it|they deem|deems", "if appropriate", "reserve|reserves the right", "subject to mutual agreement", "as may be mutually agreed", "as may be agreed", "at its discretion", "if ~1 so agree|agrees|decide|decides|wish|wishes"},
		uk: []string{"у|в разі потреби", "залиша* за собою право", "підляга* ~3 взаємн* згод*", "якщо ~2 так домовл*|виріш*|погодж*"},
		ru: []string{"при необходимости", "в случае необходимости", "оставля* за собой право", "подлеж* ~3 взаимн* соглас*", "если ~2 так договор*|реш*|соглас*"}},
	{kind: kHow, name: "freedom over how",
		en: []string{"as it|they deem|deems necessary", "which they consider necessary", "as necessary", "by all the means", "all the means", "with all the means"},
		uk: []string{"вважатим* необхідн*", "за потреби", "всіма ~3 засобами"},
		ru: []string{"сочтет необходим*", "представляются ~2 необходим*", "всеми ~3 средствами"}},
	{kind: kConstitutional, name: "constitutional or legal processes",
		en: []string{"constitutional", "legislation", "laws of", "respective laws", "legal and constitutional"},
		uk: []string{"конституційн*", "законодавств*", "правов* ~2 вимог*"},
		ru: []string{"конституционн*", "законодательств*"}},
	{kind: kCarveOut, name: "carve-out",
		en: []string{"shall not prejudice", "without prejudice", "does not affect", "shall not impair", "except", "with the sole exception", "no state shall be required"},
		uk: []string{"без шкоди", "не зачіпає", "за винятком"},
		ru: []string{"без ущерба", "не затрагивает", "за исключением"}},
	{kind: kHedge, name: "hedge",
		en: []string{"where possible", "as appropriate", "to the extent possible", "as far as possible", "where appropriate"},
		uk: []string{"по можливості", "за можливості", "де це можливо"},
		ru: []string{"по возможности", "где это возможно"}},

	// ---- precision
	{kind: kImmediacy, name: "immediacy",
		en: []string{"immediately|immediate|forthwith", "at once", "without delay", "urgent"},
		uk: []string{"негайн*|невідкладн*", "без зволікань"},
		ru: []string{"немедленн*|незамедлительн*|безотлагательн*", "без промедления"}},
	{kind: kDeadline, name: "deadline",
		en: []string{"within ~2 # hours|days|weeks|months", "# hours|days", "within sixty|thirty|ten days", "as of", "day # ", "# january|february|march|april|may|june|july|august|september|october|november|december"},
		uk: []string{"протягом ~2 # годин*|днів|діб", "# год", "# січня|лютого|березня|квітня|травня|червня|липня|серпня|вересня|жовтня|листопада|грудня"},
		ru: []string{"в течение ~2 # час*|дней|суток", "# ч", "# января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря"}},
	{kind: kDistance, name: "distance",
		en: []string{"# ~1 km|kilometers|kilometres|kilometer|kilometre|miles"},
		uk: []string{"# ~1 км|кілометр*"},
		ru: []string{"# ~1 км|километр*"}},

	// ---- delegation
	{kind: kMonitor, name: "monitoring and verification",
		en: []string{"monitoring|monitor|monitored", "verification|verify|verified", "observers", "inspection|inspections"},
		uk: []string{"моніторинг*", "верифікац*", "спостерігач*"},
		ru: []string{"мониторинг*", "верификаци*", "наблюдател*"}},

	// ---- negation
	{kind: kNegation, name: "negation",
		en: []string{"not|no|never|none|nor|neither|without"},
		uk: []string{"не|ні|ніколи|жодн*|без"},
		ru: []string{"не|ни|никогда|никак*|без"}},

	// ---- instrument level
	{kind: kTreaty, name: "treaty wording",
		en: []string{"enter|enters|entered into force", "ratified|ratification|ratify", "high contracting", "parties|party", "shall"},
		uk: []string{"набира* чинност*", "набуває чинност*", "ратифік*", "сторон*"},
		ru: []string{"вступ* в силу", "ратифик*", "сторон*"}},
	{kind: kPolitical, name: "political wording",
		en: []string{"participants|participant", "come|comes into effect", "become|becomes applicable", "take|takes effect", "not legally binding", "political commitment|commitments", "will"},
		uk: []string{"учасники|учасників|учасниками", "юридично не обов'язков*"},
		ru: []string{"участники|участников|участниками", "юридически не обязывающ*"}},
}

// compiled holds each cue's patterns, parsed once per language.
type compiledCue struct {
	def  *cueDef
	pats []pattern
}

var compiled = map[string][]compiledCue{}

func init() {
	for _, lang := range Languages {
		for i := range lexicon {
			c := &lexicon[i]
			cc := compiledCue{def: c}
			for _, s := range c.patterns(lang) {
				cc.pats = append(cc.pats, mustPattern(s))
			}
			compiled[lang] = append(compiled[lang], cc)
		}
	}
}
