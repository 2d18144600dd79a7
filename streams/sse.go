package streams

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/events"
)

// SSE is the gqlgen transport of GraphQL over server-sent events
// (graphql-sse's distinct connections mode): a POST with Accept:
// text/event-stream, answered with next events and a complete.
type SSE struct {
	Fan *Fan
	// Present renders errors as the executor does.
	Present graphql.ErrorPresenterFunc
	// KeepAlive is how often an idle stream sends a comment, so that
	// proxies keep it open.
	KeepAlive time.Duration
	// Closing ends when the server shuts down: every stream then ends with
	// a SERVER_RESTARTING error and no complete, so that its client
	// subscribes again, elsewhere. Nil never ends.
	Closing context.Context
}

var _ graphql.Transport = SSE{}

// Supports implements graphql.Transport.
func (SSE) Supports(r *http.Request) bool {
	media, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return r.Method == http.MethodPost && media == "application/json" &&
		strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

// Do implements graphql.Transport.
func (t SSE) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if t.KeepAlive == 0 {
		t.KeepAlive = 15 * time.Second
	}
	rc := http.NewResponseController(w)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	io.WriteString(w, ":\n\n")
	rc.Flush()

	s := &sseSink{out: make(chan []byte, outbox), ended: make(chan struct{})}
	out := operation{fan: t.Fan, exec: exec, present: t.Present, transport: "sse"}.start(r.Context(), body, s)
	if out.sub == nil {
		if out.answer != nil {
			b, _ := json.Marshal(out.answer)
			writeEvent(w, rc, "next", b)
		}
		writeEvent(w, rc, "complete", nil)
		return
	}
	defer out.sub.close()
	var closing <-chan struct{}
	if t.Closing != nil {
		closing = t.Closing.Done()
	}
	ping := time.NewTicker(t.KeepAlive)
	defer ping.Stop()
	for {
		select {
		case b := <-s.out:
			if !writeEvent(w, rc, "next", b) {
				return
			}
		case <-s.ended:
			for {
				select {
				case b := <-s.out:
					writeEvent(w, rc, "next", b)
				default:
					writeEvent(w, rc, "complete", nil)
					return
				}
			}
		case <-ping.C:
			if _, err := io.WriteString(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-closing:
			b, _ := json.Marshal(graphql.Response{Errors: gqlerror.List{t.Present(r.Context(), apperr.ErrServerRestarting)}})
			writeEvent(w, rc, "next", b)
			return
		case <-r.Context().Done():
			return
		}
	}
}

// writeEvent writes one event; false when the client is gone.
func writeEvent(w io.Writer, rc *http.ResponseController, event string, data []byte) bool {
	msg := "event: " + event + "\n"
	if data != nil {
		msg += "data: " + string(data) + "\n"
	}
	if _, err := io.WriteString(w, msg+"\n"); err != nil {
		return false
	}
	return rc.Flush() == nil
}

// sseSink is a subscription's response, written by its request's
// goroutine.
type sseSink struct {
	out   chan []byte
	ended chan struct{} // closed after the last result is queued
}

func (s *sseSink) next(_ *events.Message, _ any, payload []byte) bool {
	select {
	case s.out <- payload:
		return true
	default:
		return false
	}
}

func (s *sseSink) wait(payload []byte, stopped <-chan struct{}) bool {
	select {
	case s.out <- payload:
		return true
	case <-stopped:
		return false
	}
}

// end queues err as the last result (none, to complete), dropping what the queue holds when
// it is full: the client is then too far behind to want it. A response has
// no close code: an ended sign-in ends it the same way.
func (s *sseSink) end(err *gqlerror.Error, _ bool) {
	if err == nil {
		close(s.ended) // the results queued go out first, then complete
		return
	}
	b, _ := json.Marshal(graphql.Response{Errors: gqlerror.List{err}})
	for {
		select {
		case s.out <- b:
			close(s.ended)
			return
		default:
			select {
			case <-s.out:
			default:
			}
		}
	}
}
