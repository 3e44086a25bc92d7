package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// uploadPath is the path prefix of the upload URLs the fake hands out.
const uploadPath = "/upload/"

// maxUploadBytes limits the body sent to one upload URL.
const maxUploadBytes = 64 << 20

// Upload is a file uploaded through files.getUploadURLExternal, the upload
// URL and files.completeUploadExternal.
type Upload struct {
	FileID   string
	Filename string
	// Length is the size in bytes announced in files.getUploadURLExternal.
	Length      int
	AltText     string
	SnippetType string
	// Data contains the bytes sent to the upload URL.
	Data     []byte
	Uploaded bool
	// Completed reports whether files.completeUploadExternal finished the upload.
	Completed      bool
	Title          string
	Channels       []string
	ThreadTS       string
	InitialComment string
	Blocks         json.RawMessage
}

// Uploads returns all uploads in the order their URLs were requested.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()

	out := make([]Upload, 0, len(s.uploadOrder))
	for _, id := range s.uploadOrder {
		u := *s.uploads[id]
		u.Data = slices.Clone(u.Data)
		u.Channels = slices.Clone(u.Channels)
		u.Blocks = slices.Clone(u.Blocks)
		out = append(out, u)
	}
	return out
}

func (s *Server) filesGetUploadURLExternal(r *request) (obj, error) {
	filename := r.params.Get("filename")
	if filename == "" {
		return nil, fail("invalid_arguments", "[ERROR] missing required field: filename")
	}
	length, err := strconv.Atoi(r.params.Get("length"))
	if err != nil || length < 1 {
		return nil, fail("invalid_arguments", "[ERROR] length must be a positive number of bytes")
	}

	u := &Upload{
		FileID:      s.newID("F"),
		Filename:    filename,
		Length:      length,
		AltText:     r.params.Get("alt_txt"),
		SnippetType: r.params.Get("snippet_type"),
	}
	s.uploads[u.FileID] = u
	s.uploadOrder = append(s.uploadOrder, u.FileID)

	uploadURL := strings.TrimSuffix(s.APIURL(), "/") + uploadPath + u.FileID
	return obj{"upload_url": uploadURL, "file_id": u.FileID}, nil
}

// handleUpload stores the bytes posted to an upload URL, sent raw or as the
// multipart field "file" (as slack-go sends them). Like Slack it answers
// with plain text.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	fileID := strings.TrimPrefix(r.URL.Path, uploadPath)
	data, readErr := readUploadBody(r)

	s.mu.Lock()
	status, err := s.storeUpload(fileID, bearerToken(r.Header), r.Method, data, readErr)
	s.record(&request{method: MethodUpload, params: url.Values{
		"file_id": {fileID},
		"bytes":   {strconv.Itoa(len(data))},
	}}, err)
	s.mu.Unlock()

	text := fmt.Sprintf("OK - %d", len(data))
	if err != nil {
		text = err.Error()
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	if _, err := io.WriteString(w, text); err != nil {
		s.log.Warn("write upload response failed", "file_id", fileID, "err", err)
	}
}

// storeUpload checks an upload request and stores its data. It returns the
// HTTP status to send.
func (s *Server) storeUpload(fileID, token, method string, data []byte, readErr error) (int, error) {
	if err := authorize(token, s.cfg.BotToken); err != nil {
		return http.StatusUnauthorized, err
	}
	if method != http.MethodPost {
		return http.StatusMethodNotAllowed, fail("method_not_allowed")
	}
	u, ok := s.uploads[fileID]
	if !ok || u.Completed {
		return http.StatusNotFound, fail("file_not_found")
	}
	if readErr != nil {
		return http.StatusBadRequest, readErr
	}

	u.Data = data
	u.Uploaded = true
	return http.StatusOK, nil
}

func readUploadBody(r *http.Request) ([]byte, error) {
	body := io.LimitReader(r.Body, maxUploadBytes+1)
	mediaType, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))

	var data []byte
	var err error
	if mediaType == "multipart/form-data" {
		data, err = readMultipartFile(multipart.NewReader(body, params["boundary"]))
	} else {
		data, err = io.ReadAll(body)
	}

	switch {
	case err != nil:
		return nil, fail("invalid_form_data", err.Error())
	case len(data) > maxUploadBytes:
		return nil, fail("file_too_large")
	}
	return data, nil
}

// readMultipartFile returns the content of the part named "file".
func readMultipartFile(mr *multipart.Reader) ([]byte, error) {
	for {
		part, err := mr.NextPart()
		if err != nil {
			return nil, fmt.Errorf("no part named \"file\": %w", err)
		}
		if part.FormName() == "file" {
			return io.ReadAll(part)
		}
	}
}

// fileRef is one entry of the files argument of files.completeUploadExternal.
type fileRef struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

func (s *Server) filesCompleteUploadExternal(r *request) (obj, error) {
	uploads, refs, err := s.uploadsToComplete(r.params.Get("files"))
	if err != nil {
		return nil, err
	}
	channels, err := s.shareTargets(r.params)
	if err != nil {
		return nil, err
	}

	var blocks json.RawMessage
	if raw := r.params.Get("blocks"); raw != "" {
		if !json.Valid([]byte(raw)) {
			return nil, fail("invalid_blocks", "blocks is not valid JSON")
		}
		blocks = json.RawMessage(raw)
	}

	summaries := make([]obj, 0, len(uploads))
	for i, u := range uploads {
		s.completeUpload(u, refs[i].Title, channels, r.params, blocks)
		summaries = append(summaries, obj{"id": u.FileID, "title": u.Title})
	}
	s.shareFiles(uploads, channels, r.params.Get("thread_ts"), r.params.Get("initial_comment"), blocks)
	return obj{"files": summaries}, nil
}

// uploadsToComplete resolves the files argument to uploads whose bytes arrived.
func (s *Server) uploadsToComplete(filesParam string) ([]*Upload, []fileRef, error) {
	var refs []fileRef
	if err := json.Unmarshal([]byte(filesParam), &refs); err != nil || len(refs) == 0 {
		return nil, nil, fail("invalid_arguments", `[ERROR] files must be a JSON array such as [{"id":"F1"}]`)
	}

	uploads := make([]*Upload, 0, len(refs))
	for _, ref := range refs {
		u, ok := s.uploads[ref.ID]
		if !ok || !u.Uploaded || u.Completed {
			return nil, nil, fail("file_not_found")
		}
		uploads = append(uploads, u)
	}
	return uploads, refs, nil
}

// shareTargets resolves channel_id and channels to conversations the bot can
// post to.
func (s *Server) shareTargets(params url.Values) ([]*Channel, error) {
	ids := splitList(params.Get("channels"))
	if id := params.Get("channel_id"); id != "" {
		ids = append([]string{id}, ids...)
	}

	var out []*Channel
	for _, id := range ids {
		ch, err := s.postTarget(id)
		if err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}

func (s *Server) completeUpload(u *Upload, title string, channels []*Channel, params url.Values, blocks json.RawMessage) {
	u.Completed = true
	u.Title = title
	if u.Title == "" {
		u.Title = u.Filename
	}
	for _, ch := range channels {
		u.Channels = append(u.Channels, ch.ID)
	}
	u.ThreadTS = params.Get("thread_ts")
	u.InitialComment = params.Get("initial_comment")
	u.Blocks = blocks
}

// shareFiles posts one message with the files to each channel, as Slack
// shows a shared upload.
func (s *Server) shareFiles(uploads []*Upload, channels []*Channel, threadTS, comment string, blocks json.RawMessage) {
	fileIDs := make([]string, 0, len(uploads))
	for _, u := range uploads {
		fileIDs = append(fileIDs, u.FileID)
	}

	for _, ch := range channels {
		m := &Message{
			Channel:  ch.ID,
			TS:       s.newTS(s.cfg.Now()),
			ThreadTS: threadTS,
			User:     s.cfg.BotUserID,
			Text:     comment,
			Blocks:   slices.Clone(blocks),
			Files:    slices.Clone(fileIDs),
		}
		s.messages[ch.ID] = append(s.messages[ch.ID], m)
	}
}
