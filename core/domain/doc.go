// Package domain holds the types every primitive and provider shares: messages
// with multimodal content, streamed tokens, responses, provider options, JSON
// schemas, and the Provider interface. They mirror the types of Go-LLMs
// (pkg/llm/domain and pkg/schema/domain) so that core's seed-faithful variants
// can keep the original's shapes, and its defects.
package domain
