package web

import (
	"fmt"
	"html/template"

	"github.com/peeredge/peeredge/internal/layout"
)

// pageNames are the templates under templates/; each defines "title" and
// "main" and is rendered inside base.html, but embed.html, which is a
// page of its own (no header, navigation or footer).
var pageNames = []string{"home", "watch", "preparing", "about", "contact", "error"}

func (w *Web) funcs() template.FuncMap {
	u := w.cfg.URLs
	return template.FuncMap{
		"asset": w.assetURL,
		"home":  func() string { return u.Local(layout.HomePath) },
		"about": func() string { return u.Local(layout.AboutPath) },
		"contactPage": func() string {
			return u.Local(layout.ContactPath)
		},
		"privacy":   func() string { return u.Local(layout.PrivacyPath()) },
		"privacyID": func() string { return layout.PrivacyFragment },
	}
}

// parsePages builds one template set per page: the page with the base
// layout, or the embed alone.
func parsePages(funcs template.FuncMap) (map[string]*template.Template, error) {
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/base.html", "templates/player.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		pages[name] = t
	}
	t, err := template.New("embed").Funcs(funcs).ParseFS(templateFS, "templates/embed.html", "templates/player.html")
	if err != nil {
		return nil, fmt.Errorf("web: template embed: %w", err)
	}
	pages["embed"] = t
	return pages, nil
}
