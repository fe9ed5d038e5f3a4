package console

import (
	"fmt"
	"html/template"
	"strings"
	"time"
)

// templateFuncs are the functions the templates use. None returns
// template.HTML except a chart's SVG, whose strings chart.SVG escapes.
func (c *Console) templateFuncs() template.FuncMap {
	return template.FuncMap{
		"ms":     ms,
		"usd":    usd,
		"pretty": prettyJSON,
		"pct":    func(v float64) string { return fmt.Sprintf("%.1f%%", v) },
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04:05 UTC")
		},
		"short": func(s string, n int) string {
			if len(s) <= n {
				return s
			}
			return s[:n] + "…"
		},
		"secs":   func(d time.Duration) string { return fmt.Sprintf("%g s", d.Seconds()) },
		"span":   span,
		"add":    func(a, b int) int { return a + b },
		"join":   strings.Join,
		"static": c.staticURL,
	}
}

// pageNames are the templates under templates/, each rendered inside
// layout.html (partials.html holds what several pages share).
var pageNames = []string{"signin", "functions", "function", "test", "logs", "monitoring", "async", "usage", "deploy", "sources", "error"}

func (c *Console) parseTemplates() (map[string]*template.Template, error) {
	base, err := template.New("layout").Funcs(c.templateFuncs()).ParseFS(templateFiles, "templates/layout.html", "templates/partials.html")
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	out := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := base.Clone()
		if err == nil {
			t, err = t.ParseFS(templateFiles, "templates/"+name+".html")
		}
		if err != nil {
			return nil, fmt.Errorf("console: %w", err)
		}
		out[name] = t
	}
	return out, nil
}
