// Package kubernetes holds the manifests that run llmbench's segments as a
// Kubernetes Indexed Job; its test decodes them strictly into the API
// types, so that a typo is caught without a cluster.
package kubernetes

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/llmbench/llmbench/scenarios/plan"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func decode[T any](t *testing.T, file string) *T {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var obj T
	require.NoError(t, yaml.UnmarshalStrict(data, &obj), file)
	return &obj
}

func TestManifestsDecodeStrictly(t *testing.T) {
	cm := decode[corev1.ConfigMap](t, "scenario-configmap.yaml")
	secret := decode[corev1.Secret](t, "secret.yaml")
	pvc := decode[corev1.PersistentVolumeClaim](t, "results-pvc.yaml")
	job := decode[batchv1.Job](t, "job.yaml")
	merge := decode[batchv1.Job](t, "merge-job.yaml")

	// The scenario in the ConfigMap is one llmbench runs, and reads its
	// key from the Secret's variable.
	t.Setenv("OPENAI_API_KEY", "from-the-secret")
	p, err := plan.Resolve([]byte(cm.Data["scenario.yaml"]), "scenario.yaml", ".", plan.Overrides{})
	require.NoError(t, err)
	var keyEnv string
	for _, pr := range p.Providers {
		keyEnv = pr.OpenAI.APIKeyEnv
	}
	require.NotEmpty(t, keyEnv)
	assert.Contains(t, secret.StringData, keyEnv)

	// An Indexed Job whose n pods are the n segments.
	require.NotNil(t, job.Spec.CompletionMode)
	assert.Equal(t, batchv1.IndexedCompletion, *job.Spec.CompletionMode)
	require.NotNil(t, job.Spec.Completions)
	require.NotNil(t, job.Spec.Parallelism)
	assert.Equal(t, *job.Spec.Completions, *job.Spec.Parallelism)
	c := job.Spec.Template.Spec.Containers[0]
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	assert.Equal(t, *job.Spec.Completions, mustAtoi(t, env["SEGMENTS"].Value), "SEGMENTS = completions")
	require.NotNil(t, env[keyEnv].ValueFrom)
	assert.Equal(t, secret.Name, env[keyEnv].ValueFrom.SecretKeyRef.Name)
	cmd := strings.Join(c.Args, " ")
	assert.Regexp(t, regexp.MustCompile(`--segment "\$\(\(JOB_COMPLETION_INDEX \+ 1\)\)/\$SEGMENTS"`), cmd)
	assert.Contains(t, cmd, "--start-at")
	assert.Contains(t, cmd, "--out \"/results/segment-")

	// Both Jobs mount the shared results volume; the merge reads every segment.
	claim := func(j *batchv1.Job) string {
		for _, v := range j.Spec.Template.Spec.Volumes {
			if v.PersistentVolumeClaim != nil {
				return v.PersistentVolumeClaim.ClaimName
			}
		}
		return ""
	}
	assert.Equal(t, pvc.Name, claim(job))
	assert.Equal(t, pvc.Name, claim(merge))
	assert.Contains(t, pvc.Spec.AccessModes, corev1.ReadWriteMany)
	assert.Contains(t, strings.Join(merge.Spec.Template.Spec.Containers[0].Args, " "), "llmbench merge /results/segment-*")
}

func mustAtoi(t *testing.T, s string) int32 {
	t.Helper()
	var n int32
	for _, r := range s {
		require.True(t, r >= '0' && r <= '9', s)
		n = n*10 + int32(r-'0')
	}
	return n
}
