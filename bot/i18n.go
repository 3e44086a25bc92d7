package bot

import (
	"embed"
	"fmt"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed locales/*.toml
var localeFS embed.FS

// Languages lists the catalogs shipped with Leitstelle. German is the
// default and the source of every message; English is a translation.
var Languages = []string{"de", "en"}

// newBundle loads the embedded message catalogs.
func newBundle() (*i18n.Bundle, error) {
	bundle := i18n.NewBundle(language.German)
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	for _, lang := range Languages {
		path := "locales/active." + lang + ".toml"
		if _, err := bundle.LoadMessageFileFS(localeFS, path); err != nil {
			return nil, fmt.Errorf("load message catalog %s: %w", path, err)
		}
	}
	return bundle, nil
}

// Translator renders message ids of the catalogs in one language.
type Translator struct {
	localizer *i18n.Localizer
}

// NewTranslator returns a translator for lang ("de" or "en").
func NewTranslator(lang string) (*Translator, error) {
	if !validLanguage(lang) {
		return nil, fmt.Errorf("unknown language %q, want one of %v", lang, Languages)
	}
	bundle, err := newBundle()
	if err != nil {
		return nil, err
	}
	return &Translator{localizer: i18n.NewLocalizer(bundle, lang, "de")}, nil
}

func validLanguage(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}

// T renders message id with data. A missing id renders as the id itself in
// brackets, so a gap is visible instead of an empty message. The catalog
// tests check that no used id is missing.
func (tr *Translator) T(id string, data map[string]any) string {
	s, err := tr.localizer.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil {
		return "[" + id + "]"
	}
	return s
}
