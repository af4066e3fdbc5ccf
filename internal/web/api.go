package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/errs"
)

//go:embed openapi.json
var openAPIBase []byte

//go:embed openapi
var openAPIParts embed.FS

// openAPIDoc is the served OpenAPI document: openapi.json with the paths and
// schemas of every openapi/*.json part merged in (one part per area).
var openAPIDoc = mergeOpenAPI()

func mergeOpenAPI() []byte {
	var doc map[string]any
	if err := json.Unmarshal(openAPIBase, &doc); err != nil {
		panic("openapi.json: " + err.Error())
	}
	paths := doc["paths"].(map[string]any)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	entries, err := fs.ReadDir(openAPIParts, "openapi")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		b, err := openAPIParts.ReadFile("openapi/" + e.Name())
		if err != nil {
			panic(err)
		}
		var part struct {
			Paths      map[string]any `json:"paths"`
			Components struct {
				Schemas map[string]any `json:"schemas"`
			} `json:"components"`
		}
		if err := json.Unmarshal(b, &part); err != nil {
			panic("openapi/" + e.Name() + ": " + err.Error())
		}
		for k, v := range part.Paths {
			if _, dup := paths[k]; dup {
				panic("openapi/" + e.Name() + ": path " + k + " documented twice")
			}
			paths[k] = v
		}
		for k, v := range part.Components.Schemas {
			if _, dup := schemas[k]; dup {
				panic("openapi/" + e.Name() + ": schema " + k + " defined twice")
			}
			schemas[k] = v
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return out
}

// openAPI serves the OpenAPI 3.1 description of /api/v1.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request, rq *request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, err := w.Write(openAPIDoc)
	return err
}

// maxJSON caps an API request body.
const maxJSON = 1 << 20

// decodeJSON reads one JSON object from r's body into v, refusing unknown
// fields and trailing data. Its errors name the field at fault.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return errs.Field("body", "err.json_content_type")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSON))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return errs.Field("body", "err.json_too_large")
		}
		return fmt.Errorf("read body: %w", err)
	}
	return DecodeJSON(body, v)
}

// DecodeJSON decodes body into v the way the API does. Text that cannot be
// stored is refused, naming its field: bytes that are not UTF-8 (which
// encoding/json would turn into U+FFFD) and NUL characters.
func DecodeJSON(body []byte, v any) error {
	if err := checkJSONText(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			field := te.Field
			if field == "" {
				field = "body"
			}
			return errs.Field(field, "err.json_type", te.Type.String())
		case errors.As(err, &se):
			return errs.Field("body", "err.json_syntax", se.Offset)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			if name == "" {
				name = "body"
			}
			return errs.Field(name, "err.json_unknown_field")
		case errors.Is(err, io.EOF):
			return errs.Field("body", "err.json_empty")
		}
		return errs.Field("body", "err.json_syntax", 0)
	}
	if dec.More() {
		return errs.Field("body", "err.json_trailing")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errs.Field("body", "err.json_trailing")
	}
	// A NUL can only be written \u0000 (a raw one is a syntax error).
	if bytes.Contains(body, []byte(`\u0000`)) {
		if path, found := nulPath(reflect.ValueOf(v), ""); found {
			return errs.Field(path, "err.nul")
		}
	}
	return nil
}

// apiTime formats a time for the API (RFC 3339, UTC), or null when zero.
func apiTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// queryInt reads an integer query parameter with a default.
func queryInt(r *http.Request, name string, def int) int {
	if n, err := strconv.Atoi(r.URL.Query().Get(name)); err == nil {
		return n
	}
	return def
}

// created answers a POST that created something.
func created(w http.ResponseWriter, v any) error { return writeJSON(w, http.StatusCreated, v) }

// jsonOK answers a request with v as JSON, status 200.
func jsonOK(w http.ResponseWriter, v any) error { return writeJSON(w, http.StatusOK, v) }

// versionOf requires a positive version in an edit body.
func versionOf(v int) error {
	if v < 1 {
		return errs.Field("version", "err.version")
	}
	return nil
}
