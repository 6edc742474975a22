package report

import (
	"math"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch/geo"
)

// Town is a named place events are located from ("3 km SE of Horlivka").
type Town struct {
	ID    string
	Names Names
	Point orb.Point // [lon, lat]
	Area  string    // the area (region) it lies in
}

// Area is a reporting area: missions summarised by region ("Donetsk
// region", "Luhansk region").
type Area struct {
	ID    string
	Name  string // English
	Names Names
}

// Names holds a name in each report language.
type Names struct{ En, Uk, Ru string }

// In returns the name in lang ("en", "uk", "ru"), English otherwise.
func (n Names) In(lang string) string {
	switch lang {
	case "uk":
		return n.Uk
	case "ru":
		return n.Ru
	}
	return n.En
}

// Gazetteer assigns areas and nearest towns. An event belongs to the area
// of its nearest town when that town is within MaxKm, else to OtherArea.
// This is a coarse assignment by the nearest point of a chain of towns
// along the line, not an administrative boundary: an event midway between
// two towns of different regions may land in either.
type Gazetteer struct {
	Areas []Area // in report order
	Towns []Town
	MaxKm float64
}

// OtherArea collects events far from every town, and events without a
// position.
var OtherArea = Area{ID: "other", Name: "Other areas", Names: Names{"Other areas", "Інші райони", "Другие районы"}}

// AreaList returns the areas in report order, OtherArea last.
func (g *Gazetteer) AreaList() []Area { return append(append([]Area(nil), g.Areas...), OtherArea) }

// Area returns the area with the id (OtherArea if unknown).
func (g *Gazetteer) Area(id string) Area {
	for _, a := range g.Areas {
		if a.ID == id {
			return a
		}
	}
	return OtherArea
}

// Town returns the town with the id, ok false if unknown.
func (g *Gazetteer) Town(id string) (Town, bool) {
	for _, t := range g.Towns {
		if t.ID == id {
			return t, true
		}
	}
	return Town{}, false
}

// Nearest returns the town nearest p and the distance to it in km; ok is
// false when the gazetteer has no town within MaxKm. Towns are screened on
// the local plane (cheap, within a few per cent at these distances) and
// only the few close to the best are measured geodesically.
func (g *Gazetteer) Nearest(p orb.Point) (t Town, km float64, ok bool) {
	kx := math.Cos(p[1]*math.Pi/180) * 111.32
	flat := func(q orb.Point) float64 { return math.Hypot((q[0]-p[0])*kx, (q[1]-p[1])*110.57) }
	bestFlat := math.Inf(1)
	for _, c := range g.Towns {
		bestFlat = min(bestFlat, flat(c.Point))
	}
	best := math.Inf(1)
	for _, c := range g.Towns {
		if flat(c.Point) > bestFlat*1.05+1 {
			continue
		}
		if d := geo.DistanceKm(c.Point, p); d < best {
			best, t = d, c
		}
	}
	if best > g.MaxKm {
		return Town{}, 0, false
	}
	return t, best, true
}

// Compass returns the 8-point compass direction (N, NE, …) of p seen from
// o, by the initial great-circle bearing.
func Compass(o, p orb.Point) string {
	lat1, lat2 := o[1]*math.Pi/180, p[1]*math.Pi/180
	dlon := (p[0] - o[0]) * math.Pi / 180
	y := math.Sin(dlon) * math.Cos(lat2)
	x := math.Cos(lat1)*math.Sin(lat2) - math.Sin(lat1)*math.Cos(lat2)*math.Cos(dlon)
	deg := math.Mod(math.Atan2(y, x)*180/math.Pi+360, 360)
	return compassPoints[int(math.Round(deg/45))%8]
}

var compassPoints = [8]string{"N", "NE", "E", "SE", "S", "SW", "W", "NW"}

// DefaultGazetteer returns towns along the line of contact in Ukraine, from
// the Dnipro estuary to the border near Vovchansk, with the holding-area
// towns of the example agreement, grouped by oblast. Coordinates are
// approximate (a town's centre to within a few km); the gazetteer only
// names places and groups events, it decides no violation.
func DefaultGazetteer() *Gazetteer {
	return &Gazetteer{Areas: slicesClone(ukraineAreas), Towns: slicesClone(ukraineTowns), MaxKm: 120}
}

func slicesClone[T any](s []T) []T { return append([]T(nil), s...) }

var ukraineAreas = []Area{
	{"kharkiv", "Kharkiv region", Names{"Kharkiv region", "Харківська область", "Харьковская область"}},
	{"luhansk", "Luhansk region", Names{"Luhansk region", "Луганська область", "Луганская область"}},
	{"donetsk", "Donetsk region", Names{"Donetsk region", "Донецька область", "Донецкая область"}},
	{"zaporizhzhia", "Zaporizhzhia region", Names{"Zaporizhzhia region", "Запорізька область", "Запорожская область"}},
	{"kherson", "Kherson region", Names{"Kherson region", "Херсонська область", "Херсонская область"}},
	{"crimea", "Crimea", Names{"Crimea", "Автономна Республіка Крим", "Автономная Республика Крым"}},
	{"dnipropetrovsk", "Dnipropetrovsk region", Names{"Dnipropetrovsk region", "Дніпропетровська область", "Днепропетровская область"}},
	{"poltava", "Poltava region", Names{"Poltava region", "Полтавська область", "Полтавская область"}},
	{"mykolaiv", "Mykolaiv region", Names{"Mykolaiv region", "Миколаївська область", "Николаевская область"}},
}

var ukraineTowns = []Town{
	{"kherson", Names{"Kherson", "Херсон", "Херсон"}, orb.Point{32.617, 46.636}, "kherson"},
	{"oleshky", Names{"Oleshky", "Олешки", "Алешки"}, orb.Point{32.720, 46.623}, "kherson"},
	{"nova-kakhovka", Names{"Nova Kakhovka", "Нова Каховка", "Новая Каховка"}, orb.Point{33.349, 46.755}, "kherson"},
	{"beryslav", Names{"Beryslav", "Берислав", "Берислав"}, orb.Point{33.427, 46.839}, "kherson"},
	{"mykolaiv", Names{"Mykolaiv", "Миколаїв", "Николаев"}, orb.Point{31.995, 46.975}, "mykolaiv"},
	{"enerhodar", Names{"Enerhodar", "Енергодар", "Энергодар"}, orb.Point{34.656, 47.499}, "zaporizhzhia"},
	{"vasylivka", Names{"Vasylivka", "Василівка", "Васильевка"}, orb.Point{35.277, 47.438}, "zaporizhzhia"},
	{"zaporizhzhia", Names{"Zaporizhzhia", "Запоріжжя", "Запорожье"}, orb.Point{35.140, 47.839}, "zaporizhzhia"},
	{"orikhiv", Names{"Orikhiv", "Оріхів", "Орехов"}, orb.Point{35.785, 47.568}, "zaporizhzhia"},
	{"tokmak", Names{"Tokmak", "Токмак", "Токмак"}, orb.Point{35.712, 47.255}, "zaporizhzhia"},
	{"melitopol", Names{"Melitopol", "Мелітополь", "Мелитополь"}, orb.Point{35.368, 46.849}, "zaporizhzhia"},
	{"huliaipole", Names{"Huliaipole", "Гуляйполе", "Гуляйполе"}, orb.Point{36.256, 47.663}, "zaporizhzhia"},
	{"vuhledar", Names{"Vuhledar", "Вугледар", "Угледар"}, orb.Point{37.248, 47.780}, "donetsk"},
	{"marinka", Names{"Marinka", "Мар'їнка", "Марьинка"}, orb.Point{37.503, 47.943}, "donetsk"},
	{"donetsk", Names{"Donetsk", "Донецьк", "Донецк"}, orb.Point{37.803, 48.016}, "donetsk"},
	{"pokrovsk", Names{"Pokrovsk", "Покровськ", "Покровск"}, orb.Point{37.176, 48.283}, "donetsk"},
	{"avdiivka", Names{"Avdiivka", "Авдіївка", "Авдеевка"}, orb.Point{37.750, 48.140}, "donetsk"},
	{"horlivka", Names{"Horlivka", "Горлівка", "Горловка"}, orb.Point{38.093, 48.334}, "donetsk"},
	{"toretsk", Names{"Toretsk", "Торецьк", "Торецк"}, orb.Point{37.847, 48.398}, "donetsk"},
	{"bakhmut", Names{"Bakhmut", "Бахмут", "Бахмут"}, orb.Point{38.001, 48.595}, "donetsk"},
	{"kramatorsk", Names{"Kramatorsk", "Краматорськ", "Краматорск"}, orb.Point{37.584, 48.739}, "donetsk"},
	{"siversk", Names{"Siversk", "Сіверськ", "Северск"}, orb.Point{38.100, 48.867}, "donetsk"},
	{"lysychansk", Names{"Lysychansk", "Лисичанськ", "Лисичанск"}, orb.Point{38.433, 48.917}, "luhansk"},
	{"kreminna", Names{"Kreminna", "Кремінна", "Кременная"}, orb.Point{38.217, 49.050}, "luhansk"},
	{"luhansk", Names{"Luhansk", "Луганськ", "Луганск"}, orb.Point{39.308, 48.574}, "luhansk"},
	{"svatove", Names{"Svatove", "Сватове", "Сватово"}, orb.Point{38.150, 49.410}, "luhansk"},
	{"kupiansk", Names{"Kupiansk", "Куп'янськ", "Купянск"}, orb.Point{37.616, 49.711}, "kharkiv"},
	{"vovchansk", Names{"Vovchansk", "Вовчанськ", "Волчанск"}, orb.Point{36.941, 50.291}, "kharkiv"},
	{"kharkiv", Names{"Kharkiv", "Харків", "Харьков"}, orb.Point{36.230, 49.994}, "kharkiv"},
	{"dnipro", Names{"Dnipro", "Дніпро", "Днепр"}, orb.Point{35.046, 48.465}, "dnipropetrovsk"},
	{"poltava", Names{"Poltava", "Полтава", "Полтава"}, orb.Point{34.551, 49.588}, "poltava"},
	{"dzhankoi", Names{"Dzhankoi", "Джанкой", "Джанкой"}, orb.Point{34.393, 45.709}, "crimea"},
	{"armiansk", Names{"Armiansk", "Армянськ", "Армянск"}, orb.Point{33.692, 46.106}, "crimea"},
	{"simferopol", Names{"Simferopol", "Сімферополь", "Симферополь"}, orb.Point{34.100, 44.952}, "crimea"},
}
