package streams

import "encoding/json"

// protocol is one websocket subprotocol's names for the same messages.
type protocol struct {
	name string
	// What the client sends.
	init, subscribe, stop, terminate string
	// What the server sends.
	ack, next, err, complete, connectionError, keepAlive string
	// ping and pong are the protocol's own keep-alive messages, which
	// either side may send; empty where it has none.
	ping, pong string
	// resubscribes says its clients subscribe again by themselves when the
	// server goes away (1001); other clients are told with an error per
	// subscription, as a close alone reads to them as the end.
	resubscribes bool
}

// transportWS is graphql-transport-ws, what the graphql-ws library speaks.
var transportWS = &protocol{
	name: "graphql-transport-ws",
	init: "connection_init", subscribe: "subscribe", stop: "complete",
	ack: "connection_ack", next: "next", err: "error", complete: "complete",
	ping: "ping", pong: "pong",
	resubscribes: true,
}

// legacyWS is graphql-ws, what subscriptions-transport-ws speaks; a client
// that names no subprotocol gets it, as gqlgen did.
var legacyWS = &protocol{
	name: "graphql-ws",
	init: "connection_init", subscribe: "start", stop: "stop", terminate: "connection_terminate",
	ack: "connection_ack", next: "data", err: "error", complete: "complete",
	connectionError: "connection_error", keepAlive: "ka",
}

var protocols = map[string]*protocol{transportWS.name: transportWS, legacyWS.name: legacyWS, "": legacyWS}

// The close codes of graphql-transport-ws, which graphql-ws clients act
// on: 4401 and 4429 stop them, 4408 makes them retry later, while a 1002
// would send them reconnecting in a loop. graphql-ws (legacy) connections
// close with the same codes.
const (
	closeBadMessage   = 4400
	closeUnauthorized = 4401
	closeInitTimeout  = 4408
	closeDuplicateID  = 4409
	closeTooManyInits = 4429
)

// message is any message of either protocol.
type message struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// encode writes a message to send.
func encode(kind, id string, payload []byte) []byte {
	b, _ := json.Marshal(message{ID: id, Type: kind, Payload: payload})
	return b
}
