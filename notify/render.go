package notify

import (
	"bytes"
	"embed"
	htmltemplate "html/template"
	"text/template"
)

//go:embed templates
var templates embed.FS

// mailTemplate is a mail's text template (its subject, its plain-text
// body, and its wording of what happened, "what") and its HTML body, of
// the same data, which html/template escapes.
type mailTemplate struct {
	text *template.Template
	html *htmltemplate.Template
}

func parse(name string) mailTemplate {
	return mailTemplate{
		text: template.Must(template.ParseFS(templates, "templates/"+name+".txt")),
		html: htmltemplate.Must(htmltemplate.ParseFS(templates, "templates/"+name+".html")),
	}
}

var (
	caseTemplate  = parse("case")
	grantTemplate = parse("grant")
)

// render renders the mail of data. What happened is worded once, by the
// text template, into *what, which data holds for the HTML body.
func (t mailTemplate) render(data any, what *string) (mail, error) {
	var m mail
	var b bytes.Buffer
	for _, part := range []struct {
		name string
		out  *string
	}{{"what", what}, {"subject", &m.subject}, {"body", &m.text}} {
		b.Reset()
		if err := t.text.ExecuteTemplate(&b, part.name, data); err != nil {
			return mail{}, err
		}
		*part.out = b.String()
	}
	b.Reset()
	if err := t.html.ExecuteTemplate(&b, "body", data); err != nil {
		return mail{}, err
	}
	m.html = b.String()
	return m, nil
}
