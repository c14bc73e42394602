package domain

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestCloneIsDeep(t *testing.T) {
	m := Message{Role: RoleUser, Content: []ContentPart{
		{Type: ContentText, Text: "a"},
		{Type: ContentImage, Image: &ImageContent{Source: SourceInfo{Type: SourceURL, URL: "u"}}},
		{Type: ContentFile, File: &FileContent{FileName: "f"}},
		{Type: ContentVideo, Video: &VideoContent{}},
		{Type: ContentAudio, Audio: &AudioContent{}},
	}}
	c := m.Clone()
	assert.Equal(t, m, c)
	c.Content[0].Text = "b"
	c.Content[1].Image.Source.URL = "v"
	c.Content[2].File.FileName = "g"
	assert.Equal(t, "a", m.Content[0].Text)
	assert.Equal(t, "u", m.Content[1].Image.Source.URL)
	assert.Equal(t, "f", m.Content[2].File.FileName)
	assert.NotSame(t, m.Content[3].Video, c.Content[3].Video)
	assert.NotSame(t, m.Content[4].Audio, c.Content[4].Audio)
	assert.Nil(t, Message{Role: RoleUser}.Clone().Content)
}

func TestText(t *testing.T) {
	assert.Equal(t, "hi", NewTextMessage(RoleUser, "hi").Text())
	m := Message{Content: []ContentPart{{Type: ContentText, Text: "a"}, {Type: ContentImage}, {Type: ContentText, Text: "b"}}}
	assert.Equal(t, "ab", m.Text())
}

func TestApplyOptions(t *testing.T) {
	o := ApplyOptions()
	assert.Equal(t, DefaultTemperature, o.Temperature)
	assert.Equal(t, DefaultMaxTokens, o.MaxTokens)
	stops := []string{"x"}
	o = ApplyOptions(WithTemperature(0.1), WithMaxTokens(5), WithStopSequences(stops...), WithTopP(0.9),
		WithFrequencyPenalty(0.2), WithPresencePenalty(0.3), WithModel("m"), nil)
	stops[0] = "changed"
	assert.Equal(t, ProviderOptions{Temperature: 0.1, MaxTokens: 5, StopSequences: []string{"x"}, TopP: 0.9,
		FrequencyPenalty: 0.2, PresencePenalty: 0.3, Model: "m"}, o)
}
