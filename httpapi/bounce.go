package httpapi

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/clock"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/mailer"
)

// bounceHook receives bounce reports from the mail provider: POST a
// mailer.BounceReport as JSON with "Authorization: Bearer <secret>". It
// answers 204 when the address is suppressed, and otherwise a coded error
// as every endpoint does: 401 UNAUTHENTICATED without the secret, 400
// BAD_USER_INPUT for a report it cannot use.
func bounceHook(c *ent.Client, clk clock.Clock, secret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if secret == "" || subtle.ConstantTimeCompare([]byte(token), []byte(secret)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="bounce"`)
			writeError(w, http.StatusUnauthorized, &apperr.Error{Code: apperr.Unauthenticated, Message: "a bounce report needs the shared secret"})
			return
		}
		var report mailer.BounceReport
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&report); err != nil {
			writeError(w, http.StatusBadRequest, apperr.Invalid("", "the body is not a bounce report: %v", err))
			return
		}
		err := mailer.ReportBounce(r.Context(), c, report, clk.Now())
		switch {
		case errors.Is(err, mailer.ErrInvalid):
			writeError(w, http.StatusBadRequest, apperr.Invalid("", "%v", err))
		case err != nil:
			slog.ErrorContext(r.Context(), "recording a bounce report", "error", err)
			writeError(w, http.StatusInternalServerError, &apperr.Error{Code: apperr.Internal, Message: "the report could not be recorded; send it again"})
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
}
