package cache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"math"
	"sync"
	"unsafe"

	"github.com/llmbench/llmbench/core/domain"
)

// Key identifies a conversation and the options it was answered with.
type Key [sha256.Size]byte

// String is the key in hex.
func (k Key) String() string { return hex.EncodeToString(k[:]) }

var hasherPool = sync.Pool{New: func() any { return &keyHasher{h: sha256.New()} }}

type keyHasher struct {
	h    hash.Hash
	buf  [8]byte
	sum  []byte
	opts domain.ProviderOptions
}

func (kh *keyHasher) u64(v uint64) {
	binary.LittleEndian.PutUint64(kh.buf[:], v)
	kh.h.Write(kh.buf[:])
}

// str writes a length-prefixed string, so that ("ab","c") and ("a","bc")
// hash differently. The hash reads the string's bytes in place: []byte(s)
// would copy every message into a new allocation (Write's argument escapes
// through the hash.Hash interface), and Write neither keeps nor changes it.
func (kh *keyHasher) str(s string) {
	kh.u64(uint64(len(s)))
	kh.h.Write(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// KeyOf hashes messages and the values the options set. Options are applied
// to learn their values: two WithTemperature calls with different arguments
// give different keys, which the seed's "%v" of a function cannot tell.
func KeyOf(msgs []domain.Message, opts []domain.Option) Key {
	kh := hasherPool.Get().(*keyHasher)
	kh.h.Reset()
	kh.u64(uint64(len(msgs)))
	for _, m := range msgs {
		kh.str(string(m.Role))
		kh.u64(uint64(len(m.Content)))
		for _, p := range m.Content {
			kh.str(string(p.Type))
			kh.str(p.Text)
			for _, src := range []*domain.SourceInfo{imageSrc(p), videoSrc(p), audioSrc(p)} {
				if src != nil {
					kh.str(string(src.Type))
					kh.str(src.MediaType)
					kh.str(src.Data)
					kh.str(src.URL)
				}
			}
			if p.File != nil {
				kh.str(p.File.FileName)
				kh.str(p.File.MimeType)
				kh.str(p.File.FileData)
			}
		}
	}
	// As domain.ApplyOptions, into the pooled hasher: ApplyOptions' local,
	// whose address every Option receives, is allocated on every call.
	o := &kh.opts
	*o = domain.DefaultOptions()
	for _, opt := range opts {
		if opt != nil {
			opt(o)
		}
	}
	kh.u64(math.Float64bits(o.Temperature))
	kh.u64(uint64(o.MaxTokens))
	kh.u64(uint64(len(o.StopSequences)))
	for _, s := range o.StopSequences {
		kh.str(s)
	}
	kh.u64(math.Float64bits(o.TopP))
	kh.u64(math.Float64bits(o.FrequencyPenalty))
	kh.u64(math.Float64bits(o.PresencePenalty))
	kh.str(o.Model)
	var k Key
	kh.sum = kh.h.Sum(kh.sum[:0])
	copy(k[:], kh.sum)
	kh.opts = domain.ProviderOptions{} // keep none of the caller's strings alive
	hasherPool.Put(kh)
	return k
}

func imageSrc(p domain.ContentPart) *domain.SourceInfo {
	if p.Image == nil {
		return nil
	}
	return &p.Image.Source
}

func videoSrc(p domain.ContentPart) *domain.SourceInfo {
	if p.Video == nil {
		return nil
	}
	return &p.Video.Source
}

func audioSrc(p domain.ContentPart) *domain.SourceInfo {
	if p.Audio == nil {
		return nil
	}
	return &p.Audio.Source
}
