package report

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/vocab"
)

//go:embed templates/daily.html
var templates embed.FS

var dailyTemplate = template.Must(template.New("daily.html").Funcs(template.FuncMap{
	// Placeholders: WriteHTML binds the real functions per language.
	"t": func(string) string { return "" }, "date": func(time.Time) string { return "" },
	"hm": func(time.Time) string { return "" }, "num": func(int) string { return "" },
	"chg": func(int) string { return "" }, "area": func(string) string { return "" },
	"place": func(Place) string { return "" }, "weapon": func(vocab.WeaponClass) string { return "" },
	"cat": func(vocab.Category) string { return "" }, "party": func(string) string { return "" },
	"src": func(string) string { return "" }, "commitment": func(string) string { return "" },
	"action": func(vocab.ActionKind) string { return "" }, "km": func(float64) string { return "" },
	"hours": func() int { return 0 }, "caveat": func() string { return "" }, "mm": func(float64) string { return "" }, "stylesheet": func() template.URL { return "" },
}).ParseFS(templates, "templates/daily.html"))

// HTMLOptions choose the report's language and look.
type HTMLOptions struct {
	Lang      string     // "en" (default), "uk" or "ru"
	Gazetteer *Gazetteer // the one the report was built with; nil: DefaultGazetteer
	// Stylesheet, if set, is linked after the report's own embedded style
	// (e.g. the web UI's /static/…/css/site.css when served by pactwatch).
	Stylesheet string
}

// WriteHTML writes the report as a self-contained HTML page (its style is
// embedded, so a saved file reads the same offline), laid out like a
// monitoring mission's daily report.
func WriteHTML(w io.Writer, r *Report, o HTMLOptions) error {
	lang := o.Lang
	switch lang {
	case "":
		lang = "en"
	case "en", "uk", "ru":
	default:
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "lang", "language %q: want en, uk or ru", lang)
	}
	g := o.Gazetteer
	if g == nil {
		g = DefaultGazetteer()
	}
	loc, err := time.LoadLocation(r.TimeZone)
	if err != nil {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "time_zone", "unknown time zone %q", r.TimeZone)
	}
	tr := func(k string) string { return T(lang, k) }
	t, err := dailyTemplate.Clone()
	if err != nil {
		return pactwatch.Internal(err)
	}
	t.Funcs(template.FuncMap{
		"t":    tr,
		"date": func(x time.Time) string { return formatDate(lang, x.In(loc)) },
		"hm":   func(x time.Time) string { return x.In(loc).Format("15:04") },
		"num":  func(n int) string { return formatInt(lang, n) },
		"chg":  func(n int) string { return formatChange(lang, n) },
		"area": func(id string) string { return g.Area(id).Names.In(lang) },
		"place": func(p Place) string {
			return placeText(lang, g, r, p)
		},
		"weapon": func(wc vocab.WeaponClass) string {
			if n, ok := weaponNames[wc]; ok {
				return n.In(lang)
			}
			return tr("unknown")
		},
		"cat": func(c vocab.Category) string {
			if n, ok := categoryNames[c]; ok {
				return n.In(lang)
			}
			return c.Label()
		},
		"party": func(id string) string {
			if id == "" {
				return tr("unknown")
			}
			if n, ok := r.Names[id]; ok {
				return n
			}
			return id
		},
		"commitment": func(id string) string {
			if n, ok := r.Commitments[id]; ok {
				return n
			}
			return id
		},
		"action": func(a vocab.ActionKind) string {
			if n, ok := actionNames[a]; ok {
				return n.In(lang)
			}
			return string(a)
		},
		"src": func(s string) string { return tr("src_" + s) },
		"caveat": func() string {
			if r.Source == FromObservations {
				return tr("caveat_text")
			}
			return fmt.Sprintf(tr("caveat_incidents"), formatInt(lang, r.Unverified), formatInt(lang, r.Incidents))
		},
		"km": func(f float64) string { return formatFloat(lang, f) + " " + tr("km") },
		"mm": func(f float64) string { return formatFloat(lang, f) + " " + tr("mm") },
		"hours": func() int {
			return int(r.To.Sub(r.From).Round(time.Hour) / time.Hour)
		},
		"stylesheet": func() template.URL { return template.URL(o.Stylesheet) },
	})
	return t.Execute(w, struct {
		*Report
		Lang string
	}{r, lang})
}

// placeText is "3 km SE of Horlivka (Donetsk region; area controlled by
// Russian Federation)", with the preposition the language needs.
func placeText(lang string, g *Gazetteer, r *Report, p Place) string {
	var s string
	if town, ok := g.Town(p.Town); ok {
		if p.TownKm < 1 || p.Direction == "" {
			s = T(lang, "in_town") + " " + town.Names.In(lang)
		} else {
			s = fmt.Sprintf("%s %s %s %s %s", formatFloat(lang, p.TownKm), T(lang, "km"), compassNames[p.Direction].In(lang), T(lang, "of_town"), town.Names.In(lang))
		}
		s += " (" + g.Area(p.Area).Names.In(lang)
	} else {
		s = "(" + g.Area(p.Area).Names.In(lang)
	}
	if p.Controlled != "" {
		name := r.Names[p.Controlled]
		if name == "" {
			name = p.Controlled
		}
		s += "; " + T(lang, "controlled_by") + " " + name
	}
	return s + ")"
}
