package domain

// Role says who authored a message.
type Role string

// The roles a conversation can hold.
const (
	RoleSystem    Role = "system"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool"
)

// ContentType says which field of a ContentPart is set.
type ContentType string

// The content types a message part can carry.
const (
	ContentText  ContentType = "text"
	ContentImage ContentType = "image"
	ContentFile  ContentType = "file"
	ContentVideo ContentType = "video"
	ContentAudio ContentType = "audio"
)

// SourceType says how media bytes are carried.
type SourceType string

// Media sources: inline base64 data or a URL.
const (
	SourceBase64 SourceType = "base64"
	SourceURL    SourceType = "url"
)

// SourceInfo locates the bytes of an image, video or audio part.
type SourceInfo struct {
	Type      SourceType `json:"type"`
	MediaType string     `json:"media_type,omitempty"`
	Data      string     `json:"data,omitempty"`
	URL       string     `json:"url,omitempty"`
}

// ImageContent is an image part.
type ImageContent struct {
	Source SourceInfo `json:"source"`
}

// FileContent is an attached file.
type FileContent struct {
	FileName string `json:"file_name"`
	MimeType string `json:"mime_type"`
	FileData string `json:"file_data"`
}

// VideoContent is a video part.
type VideoContent struct {
	Source SourceInfo `json:"source"`
}

// AudioContent is an audio part.
type AudioContent struct {
	Source SourceInfo `json:"source"`
}

// ContentPart is one part of a multimodal message; Type says which field is set.
type ContentPart struct {
	Type  ContentType   `json:"type"`
	Text  string        `json:"text,omitempty"`
	Image *ImageContent `json:"image,omitempty"`
	File  *FileContent  `json:"file,omitempty"`
	Video *VideoContent `json:"video,omitempty"`
	Audio *AudioContent `json:"audio,omitempty"`
}

// Message is one turn of a conversation.
type Message struct {
	Role    Role          `json:"role"`
	Content []ContentPart `json:"content"`
}

// NewTextMessage builds the common single-text-part message.
func NewTextMessage(role Role, text string) Message {
	return Message{Role: role, Content: []ContentPart{{Type: ContentText, Text: text}}}
}

// Text concatenates the text parts of a message.
func (m Message) Text() string {
	if len(m.Content) == 1 {
		return m.Content[0].Text
	}
	n := 0
	for _, p := range m.Content {
		n += len(p.Text)
	}
	buf := make([]byte, 0, n)
	for _, p := range m.Content {
		buf = append(buf, p.Text...)
	}
	return string(buf)
}

// Clone returns a deep copy: no slice or pointer is shared with m, so a
// caller may change either without the other seeing it.
func (m Message) Clone() Message {
	out := Message{Role: m.Role}
	if m.Content == nil {
		return out
	}
	out.Content = make([]ContentPart, len(m.Content))
	for i, p := range m.Content {
		out.Content[i] = p.Clone()
	}
	return out
}

// Clone returns a deep copy of the part.
func (p ContentPart) Clone() ContentPart {
	out := p
	if p.Image != nil {
		c := *p.Image
		out.Image = &c
	}
	if p.File != nil {
		c := *p.File
		out.File = &c
	}
	if p.Video != nil {
		c := *p.Video
		out.Video = &c
	}
	if p.Audio != nil {
		c := *p.Audio
		out.Audio = &c
	}
	return out
}
