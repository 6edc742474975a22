package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

//go:embed i18n/*.json
var catalogFS embed.FS

// languages are the interface's languages, in the order of the switcher.
// English comes first because it is the matcher's fallback: a browser that
// asks for none of the three gets the mission's working language.
var languages = []language.Tag{language.English, language.Ukrainian, language.Russian}

var matcher = language.NewMatcher(languages)

// langCookie remembers a language chosen with ?lang=.
const langCookie = "pactwatch_lang"

// loadCatalogs reads the uk, en and ru message catalogs. Catalogs are flat
// JSON objects of message id → text (a go-i18n template); messages that
// depend on a count are objects of CLDR plural forms (one, few, many, other).
// A language's messages may be split over several files, i18n/<lang>.json
// and i18n/<part>.<lang>.json (one part per page family, so pages are added
// without touching one another's catalogs); an id given twice is an error.
func loadCatalogs() (*i18n.Bundle, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	for _, tag := range languages {
		files, err := catalogFiles(tag.String())
		if err != nil {
			return nil, err
		}
		seen := map[string]string{}
		for _, f := range files {
			mf, err := b.LoadMessageFileFS(catalogFS, f)
			if err != nil {
				return nil, err
			}
			for _, m := range mf.Messages {
				if prev, ok := seen[m.ID]; ok {
					return nil, fmt.Errorf("web: message %q is in both %s and %s", m.ID, prev, f)
				}
				seen[m.ID] = f
			}
		}
	}
	return b, nil
}

// catalogFiles lists a language's catalog files, i18n/<lang>.json first.
func catalogFiles(lang string) ([]string, error) {
	parts, err := fs.Glob(catalogFS, "i18n/*."+lang+".json")
	if err != nil {
		return nil, err
	}
	sort.Strings(parts)
	return append([]string{"i18n/" + lang + ".json"}, parts...), nil
}

// locale is everything a page needs to speak one language.
type locale struct {
	tag       language.Tag
	localizer *i18n.Localizer
	printer   *message.Printer
	location  *time.Location
	missing   func(lang, id string)
}

func (h *Handler) locale(tag language.Tag) *locale {
	return &locale{
		tag:       tag,
		localizer: i18n.NewLocalizer(h.bundle, tag.String()),
		printer:   message.NewPrinter(tag),
		location:  h.opts.Location,
		missing:   h.missing,
	}
}

// pickLanguage decides the page's language: an explicit ?lang= (remembered in
// a cookie), else the cookie, else the browser's Accept-Language, else English.
func (h *Handler) pickLanguage(w http.ResponseWriter, r *http.Request) language.Tag {
	if q := r.URL.Query().Get("lang"); q != "" {
		if tag, ok := exactLanguage(q); ok {
			http.SetCookie(w, &http.Cookie{
				Name: langCookie, Value: tag.String(), Path: "/",
				MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode,
				Secure: r.TLS != nil,
			})
			return tag
		}
	}
	if c, err := r.Cookie(langCookie); err == nil {
		if tag, ok := exactLanguage(c.Value); ok {
			return tag
		}
	}
	_, i := language.MatchStrings(matcher, r.Header.Get("Accept-Language"))
	return languages[i]
}

// exactLanguage accepts only the codes the switcher produces (uk, en, ru).
func exactLanguage(code string) (language.Tag, bool) {
	for _, tag := range languages {
		if strings.EqualFold(code, tag.String()) {
			return tag, true
		}
	}
	return language.Und, false
}

// T translates message id with optional template data given as key, value
// pairs; a numeric "Count" value also selects the plural form (or
// "PluralCount" does, when Count is a placeholder). A missing message is
// reported and shown as its id in brackets, which the tests look for.
func (l *locale) T(id string, kv ...any) string {
	cfg := &i18n.LocalizeConfig{MessageID: id}
	if len(kv) > 0 {
		data := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			key, _ := kv[i].(string)
			switch _, isText := kv[i+1].(string); {
			case key == "PluralCount":
				// Picks the plural form when Count is a placeholder.
				cfg.PluralCount = kv[i+1]
			case key == "Count" && !isText:
				// The count picks the plural form and is shown in the
				// locale's digits.
				cfg.PluralCount = kv[i+1]
				data[key] = l.Number(kv[i+1])
			default:
				data[key] = kv[i+1]
			}
		}
		cfg.TemplateData = data
	}
	s, tag, err := l.localizer.LocalizeWithTag(cfg)
	if err != nil || tag != l.tag {
		l.missing(l.tag.String(), id)
		return "⟦" + id + "⟧"
	}
	return s
}

// Number formats n with the locale's digit grouping and decimal mark
// (10,000.5 in English; 10 000,5 in Ukrainian and Russian).
func (l *locale) Number(n any) string {
	return l.printer.Sprint(number.Decimal(n))
}

// Date formats t as a day in the reporting time zone ("22 November 2026").
func (l *locale) Date(t time.Time) string {
	t = t.In(l.location)
	return l.T("format.date", "Day", t.Day(), "Month", l.T(monthID(t.Month())), "Year", t.Year())
}

// DateTime formats t as a day and a time in the reporting time zone.
func (l *locale) DateTime(t time.Time) string {
	t = t.In(l.location)
	return l.T("format.datetime", "Day", t.Day(), "Month", l.T(monthID(t.Month())), "Year", t.Year(),
		"Time", t.Format("15:04"), "Zone", t.Format("MST"))
}

// monthID names the month in the genitive case ("22 листопада") that
// Ukrainian and Russian dates use.
func monthID(m time.Month) string {
	return "month." + strings.ToLower(m.String()[:3])
}
