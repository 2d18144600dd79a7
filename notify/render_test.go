package notify

import (
	"strings"
	"testing"
)

// The HTML part says what the text part says, escaped; the text part is
// plain.
func TestRenderHasBothParts(t *testing.T) {
	d := caseData{Kind: "COMMENTED", Number: 7, Title: "Phones <down>", Customer: "Acme & Co", Severity: "S2",
		Status: "IN_PROGRESS", Actor: "Agent Smith", Comment: "Try <b>this</b>", URL: "https://desk.test/cases/cas_1"}
	m, err := caseTemplate.render(&d, &d.What)
	if err != nil {
		t.Fatal(err)
	}
	if want := "[Case #7] Phones <down>: Agent Smith commented"; m.subject != want {
		t.Errorf("subject %q, want %q", m.subject, want)
	}
	for _, s := range []string{"Case #7 of Acme & Co: Agent Smith commented.", "Try <b>this</b>", "Open the case: https://desk.test/cases/cas_1"} {
		if !strings.Contains(m.text, s) {
			t.Errorf("the text part lacks %q:\n%s", s, m.text)
		}
	}
	for _, s := range []string{"Acme &amp; Co: Agent Smith commented.", "Try &lt;b&gt;this&lt;/b&gt;", "Phones &lt;down&gt;", `<a href="https://desk.test/cases/cas_1">`} {
		if !strings.Contains(m.html, s) {
			t.Errorf("the HTML part lacks %q:\n%s", s, m.html)
		}
	}
	if strings.Contains(m.html, "<b>this") {
		t.Errorf("the HTML part holds the comment's markup unescaped:\n%s", m.html)
	}
}

func TestRenderGrantMail(t *testing.T) {
	d := grantData{Kind: "REQUESTED", Partner: "Contoso <MSP>", Customer: "Acme", Level: "LOOK", Days: 14,
		Note: "Rollout & cut-over", Actor: "Pat Admin", URL: "https://desk.test/grants/gra_1"}
	m, err := grantTemplate.render(&d, &d.What)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Contoso <MSP> asks for LOOK access to Acme"; m.subject != want {
		t.Errorf("subject %q, want %q", m.subject, want)
	}
	for _, s := range []string{"Lasts:    14 day(s) from approval", "Rollout & cut-over", "Open the grant: https://desk.test/grants/gra_1"} {
		if !strings.Contains(m.text, s) {
			t.Errorf("the text part lacks %q:\n%s", s, m.text)
		}
	}
	for _, s := range []string{"Contoso &lt;MSP&gt; asks for LOOK access to Acme (Pat Admin).", "Rollout &amp; cut-over", `<a href="https://desk.test/grants/gra_1">`} {
		if !strings.Contains(m.html, s) {
			t.Errorf("the HTML part lacks %q:\n%s", s, m.html)
		}
	}
}
