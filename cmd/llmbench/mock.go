package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/llmbench/llmbench/mockprovider"
	"github.com/llmbench/llmbench/mockprovider/openai"
)

func newMockCmd() *cobra.Command {
	mock := &cobra.Command{
		Use:   "mock",
		Short: "Mock LLM providers",
		// Without a Run of its own, cobra prints the help for any
		// argument and exits 0: "llmbench mock srve" would pass in a
		// script. NoArgs makes an unknown subcommand exit 2.
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var configPath, addr string
	serve := &cobra.Command{
		Use:         "serve",
		Annotations: map[string]string{annotInterruptible: "yes"},
		Short:       "Serve a mock provider as an OpenAI-compatible API until interrupted",
		Long: `Serve a mock provider as an OpenAI-compatible API:
POST /v1/chat/completions (JSON, or SSE with "stream": true) and GET /v1/models.
Without --config it serves the default model (lognormal TTFT, median 50ms,
p99 250ms; 10±3ms between tokens; 20 to 100 tokens). It listens on loopback
unless --addr names another host (a port alone, :8080, is loopback too;
0.0.0.0:8080 is every interface), and stops gracefully on SIGINT or SIGTERM.

  curl -N http://127.0.0.1:8080/v1/chat/completions -H 'Content-Type: application/json' \
    -d '{"model":"mock-gpt","stream":true,"messages":[{"role":"user","content":"hi"}]}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := mockprovider.New(mockprovider.Default())
			if err != nil {
				return err
			}
			if configPath != "" {
				m, err := mockprovider.LoadModel(configPath)
				if err != nil {
					return badInput(err)
				}
				p = mockprovider.FromModel(m)
			}
			ln, err := listen("--addr", addr)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "llmbench mock: serving model %q on http://%s/v1 (Ctrl-C stops)\n", p.Config().Model, ln.Addr())
			if err := openai.Serve(cmd.Context(), ln, openai.NewServer(p)); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "llmbench mock: stopped")
			return nil
		},
	}
	serve.Flags().StringVar(&configPath, "config", "", "provider configuration (YAML); default: the built-in model")
	serve.Flags().StringVar(&addr, "addr", openai.DefaultAddr, "listen address, host:port (loopback unless the host says otherwise)")
	mock.AddCommand(serve)
	return mock
}
