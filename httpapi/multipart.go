package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/requestid"
)

// multipartForm is the GraphQL multipart request transport (uploads),
// https://github.com/jaydenseric/graphql-multipart-request-spec. It
// replaces gqlgen's, whose only bound is the whole body, so that operations
// and map are held to the JSON body limit instead of borrowing the file
// budget, and so that every refusal has its HTTP status and an
// extensions.code.
type multipartForm struct {
	// maxOperationsBytes bounds the operations and map parts together,
	// like a JSON body.
	maxOperationsBytes int64
	// maxFileBytes bounds each file.
	maxFileBytes int64
	// maxFiles bounds the number of files in one request.
	maxFiles int
	// maxMemory is how much of a file is kept in memory before the rest
	// goes to a temporary file.
	maxMemory int64
}

var _ graphql.Transport = multipartForm{}

// partHeaderBytes is what the framing of one part may add to a body: its
// boundary line and headers, with a long file name.
const partHeaderBytes = 4 << 10

// spoolPattern names the temporary files of files too large for memory.
const spoolPattern = "partnerdesk-upload-*"

func (f multipartForm) Supports(r *http.Request) bool {
	if r.Method != http.MethodPost || r.Header.Get("Upgrade") != "" {
		return false
	}
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mediaType == "multipart/form-data"
}

// Do answers only once serve has returned, and so once the request's
// temporary files are removed: a client holding the answer may count on
// nothing being left behind.
func (f multipartForm) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	status, res, refused := f.serve(w, r, exec)
	if refused != nil {
		writeError(w, refused.status, refused.Error)
		return
	}
	writeAnswer(r.Context(), w, status, mediaJSON, res)
}

// uploadRefusal is a request the transport answers itself, with status.
type uploadRefusal struct {
	status int
	*apperr.Error
}

func badUpload(field, format string, args ...any) *uploadRefusal {
	return &uploadRefusal{http.StatusBadRequest, apperr.Invalid(field, format, args...)}
}

func uploadTooLarge(field string, limit, measured int64, format string, args ...any) *uploadRefusal {
	return &uploadRefusal{http.StatusRequestEntityTooLarge, &apperr.Error{
		Code: apperr.PayloadTooLarge, Field: field, Limit: limit, Measured: measured, Message: fmt.Sprintf(format, args...),
	}}
}

// uploadFailed is a failure of the server, which is logged; the client
// learns nothing of it.
var uploadFailed = &uploadRefusal{http.StatusInternalServerError, &apperr.Error{Code: apperr.Internal, Message: "internal error"}}

// serve reads the request and runs its operation. It returns the status
// and answer to write (application/json, whatever the client accepts), or
// the refusal to write instead.
func (f multipartForm) serve(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) (int, any, *uploadRefusal) {
	start := graphql.Now()
	// A chunked body has no Content-Length to check early: the same bound
	// then holds while it is read, part headers included.
	limit := f.maxOperationsBytes + int64(f.maxFiles)*f.maxFileBytes + int64(2+f.maxFiles)*partHeaderBytes
	if r.ContentLength > limit {
		return 0, nil, uploadTooLarge("body", limit, r.ContentLength, "the request body is larger than %d bytes", limit)
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	mr, err := r.MultipartReader()
	if err != nil {
		return 0, nil, badUpload("body", "the request body is not multipart/form-data with a boundary")
	}

	budget := f.maxOperationsBytes
	raw, refused := f.jsonPart(mr, "operations", &budget)
	if refused != nil {
		return 0, nil, refused
	}
	params, refused := decodeOperations(raw)
	if refused != nil {
		return 0, nil, refused
	}
	if raw, refused = f.jsonPart(mr, "map", &budget); refused != nil {
		return 0, nil, refused
	}
	files, refused := decodeMap(raw)
	if refused != nil {
		return 0, nil, refused
	}
	// Too many files is refused as too large rather than as bad input:
	// the count is what bounds the body (see limit), and the same files
	// may be sent over several requests.
	if len(files) > f.maxFiles {
		return 0, nil, uploadTooLarge("map", int64(f.maxFiles), int64(len(files)), "map names %d files; at most %d may be sent at once", len(files), f.maxFiles)
	}
	// No variables leaves every place for a file absent, which the spec
	// allows.
	if params.Variables == nil {
		params.Variables = map[string]any{}
	}
	// The places are found before any file is read, so that a bad map
	// costs no upload.
	places := make(map[string][]func(graphql.Upload), len(files))
	for _, key := range slices.Sorted(maps.Keys(files)) {
		for _, path := range files[key] {
			place := placeAt(params.Variables, path)
			if place == nil {
				return 0, nil, badUpload(variablePath(path), "map sends part %q to %s, where the variables have no null to replace", key, path)
			}
			places[key] = append(places[key], place)
		}
	}

	var spool uploadSpool
	defer spool.remove()
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, nil, uploadReadFailure(err)
		}
		key := part.FormName()
		to, ok := places[key]
		if !ok {
			return 0, nil, badUpload(key, "part %q is not in map, or came twice", key)
		}
		delete(places, key)
		content, size, refused := f.receive(r, part, &spool, variablePath(files[key][0]))
		if refused != nil {
			return 0, nil, refused
		}
		for _, place := range to {
			place(graphql.Upload{
				File:        io.NewSectionReader(content, 0, size),
				Filename:    part.FileName(),
				Size:        size,
				ContentType: part.Header.Get("Content-Type"),
			})
		}
	}
	if missing := slices.Sorted(maps.Keys(places)); len(missing) > 0 {
		key := missing[0]
		return 0, nil, badUpload(variablePath(files[key][0]), "map names part %q, which the request does not have", key)
	}

	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	ctx := r.Context()
	rc, opErr := exec.CreateOperationContext(ctx, &params)
	if opErr != nil {
		status, res := answerRefused(ctx, exec, rc, opErr, mediaJSON)
		return status, res, nil
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	return http.StatusOK, responses(ctx), nil
}

// jsonPart reads the next part, which must be called name, and charges
// its size to budget, which operations and map share.
func (f multipartForm) jsonPart(mr *multipart.Reader, name string, budget *int64) ([]byte, *uploadRefusal) {
	part, err := mr.NextPart()
	if err != nil && err != io.EOF {
		return nil, uploadReadFailure(err)
	}
	if err == io.EOF || part.FormName() != name {
		return nil, badUpload(name, "%s is missing or out of place: the parts must be operations, map, then the files", name)
	}
	raw, err := io.ReadAll(io.LimitReader(part, *budget+1))
	if err != nil {
		return nil, uploadReadFailure(err)
	}
	if int64(len(raw)) > *budget {
		return nil, uploadTooLarge(name, f.maxOperationsBytes, f.maxOperationsBytes-*budget+int64(len(raw)),
			"operations and map are larger than %d bytes together", f.maxOperationsBytes)
	}
	*budget -= int64(len(raw))
	return raw, nil
}

// uploadReadFailure tells a body over its bound from one that broke off or
// is not multipart.
func uploadReadFailure(err error) *uploadRefusal {
	if over, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return uploadTooLarge("body", over.Limit, over.Limit+1, "the request body is larger than %d bytes", over.Limit)
	}
	return badUpload("body", "the multipart body could not be read")
}

// operationsKinds is what each member of operations must be, for errors
// that name the member rather than a Go type.
var operationsKinds = map[string]string{
	"query":         "a string",
	"operationName": "a string or null",
	"variables":     "an object or null",
	"extensions":    "an object or null",
}

// decodeOperations reads the one GraphQL request of operations. Its query
// may be absent: a persisted query sends only its hash in extensions.
func decodeOperations(raw []byte) (graphql.RawParams, *uploadRefusal) {
	var params graphql.RawParams
	switch firstJSONByte(raw) {
	case '{':
	case '[':
		return params, &uploadRefusal{http.StatusBadRequest, &apperr.Error{
			Code: apperr.BadUserInput, Field: "operations", Reason: "BATCHING_NOT_SUPPORTED",
			Message: "send one operation per request: batches are not supported",
		}}
	default:
		return params, badUpload("operations", "operations must be a JSON object with a query")
	}
	// Numbers stay json.Number, as gqlgen's other transports leave them, so
	// that large integers are not rounded through float64.
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&params); err != nil {
		if wrong, ok := errors.AsType[*json.UnmarshalTypeError](err); ok && operationsKinds[wrong.Field] != "" {
			return params, badUpload("operations", "operations.%s must be %s", wrong.Field, operationsKinds[wrong.Field])
		}
		return params, badUpload("operations", "operations is not valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return params, badUpload("operations", "operations must be one JSON object and nothing after it")
	}
	if !hasQuery(&params) {
		return params, badUpload("operations", "operations has no query: send a GraphQL document in query")
	}
	return params, nil
}

// decodeMap reads map: each part's name to the paths its file goes to,
// every path under variables and named once.
func decodeMap(raw []byte) (map[string][]string, *uploadRefusal) {
	var files map[string][]string
	if firstJSONByte(raw) != '{' || json.Unmarshal(raw, &files) != nil {
		return nil, badUpload("map", `map must be a JSON object of part names to lists of paths, such as {"0": ["variables.file"]}`)
	}
	seen := map[string]bool{}
	for _, key := range slices.Sorted(maps.Keys(files)) {
		if len(files[key]) == 0 {
			return nil, badUpload("map", "map lists no paths for part %q", key)
		}
		for _, path := range files[key] {
			rest, ok := strings.CutPrefix(path, "variables.")
			if !ok || slices.Contains(strings.Split(rest, "."), "") {
				return nil, badUpload("map", "map path %q is not in the variables: paths look like variables.file or variables.files.0", path)
			}
			if seen[path] {
				return nil, badUpload("map", "map sends two files to %s", path)
			}
			seen[path] = true
		}
	}
	return files, nil
}

// firstJSONByte is the first byte of raw that is not JSON whitespace, or 0.
func firstJSONByte(raw []byte) byte {
	if raw = bytes.TrimLeft(raw, " \t\r\n"); len(raw) > 0 {
		return raw[0]
	}
	return 0
}

// variablePath is a map path as errors name it, the way they name any
// variable: variables.input.file is input.file.
func variablePath(path string) string { return strings.TrimPrefix(path, "variables.") }

// placeAt returns what puts a file at path (variables.a.0.b), or nil when
// something other than null is there: a file replaces only the null a
// client leaves for it, or fills an absent member. Objects are walked by
// member and lists by index, whatever a segment looks like.
func placeAt(vars map[string]any, path string) func(graphql.Upload) {
	segments := strings.Split(variablePath(path), ".")
	var at any = vars
	for _, s := range segments[:len(segments)-1] {
		switch v := at.(type) {
		case map[string]any:
			at = v[s]
		case []any:
			i, ok := listIndex(v, s)
			if !ok {
				return nil
			}
			at = v[i]
		default:
			return nil
		}
	}
	last := segments[len(segments)-1]
	switch v := at.(type) {
	case map[string]any:
		if v[last] == nil {
			return func(u graphql.Upload) { v[last] = u }
		}
	case []any:
		if i, ok := listIndex(v, last); ok && v[i] == nil {
			return func(u graphql.Upload) { v[i] = u }
		}
	}
	return nil
}

func listIndex(list []any, s string) (int, bool) {
	i, err := strconv.Atoi(s)
	return i, err == nil && i >= 0 && i < len(list)
}

// receive reads one file, keeping up to maxMemory of it in memory and the
// rest in a temporary file; field names it in a refusal.
func (f multipartForm) receive(r *http.Request, part *multipart.Part, spool *uploadSpool, field string) (io.ReaderAt, int64, *uploadRefusal) {
	// One byte past the limit tells a file over it from one at it.
	src := io.LimitReader(part, f.maxFileBytes+1)
	head, err := io.ReadAll(io.LimitReader(src, f.maxMemory+1))
	if err != nil {
		return nil, 0, uploadReadFailure(err)
	}
	var content io.ReaderAt = bytes.NewReader(head)
	size := int64(len(head))
	if size > f.maxMemory {
		content, size, err = spool.write(head, src)
		if _, ok := errors.AsType[*fs.PathError](err); ok {
			slog.ErrorContext(r.Context(), "spooling an upload", "request_id", requestid.FromContext(r.Context()), "error", err)
			return nil, 0, uploadFailed
		}
		if err != nil {
			return nil, 0, uploadReadFailure(err)
		}
	}
	if size > f.maxFileBytes {
		return nil, 0, uploadTooLarge(field, f.maxFileBytes, size, "the file for %s is larger than %d bytes", field, f.maxFileBytes)
	}
	return content, size, nil
}

// uploadSpool is the temporary files of one request.
type uploadSpool []*os.File

// write puts head and the rest of src in a new temporary file. The file's
// errors are *fs.PathError, and src's are not: a full disk is the server's
// failure, a body that breaks off the client's.
func (s *uploadSpool) write(head []byte, src io.Reader) (*os.File, int64, error) {
	f, err := os.CreateTemp("", spoolPattern)
	if err != nil {
		return nil, 0, err
	}
	*s = append(*s, f)
	if _, err := f.Write(head); err != nil {
		return nil, 0, err
	}
	n, err := io.Copy(f, src)
	return f, int64(len(head)) + n, err
}

// remove takes a pointer so that a deferred call sees the files created
// after it was deferred.
func (s *uploadSpool) remove() {
	for _, f := range *s {
		f.Close()
		os.Remove(f.Name())
	}
}
