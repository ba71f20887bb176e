// Package demo gives the example programs their client: the pool named by the COGNITO_*
// environment (see cognito.ConfigFromEnv) when COGNITO_USER_POOL_ID is set, or else a
// throwaway local pool started in the process, so every example runs with no setup.
// It also fetches the codes users would receive: from the local pool's outbox, or by
// asking on the terminal when the pool is a real one.
package demo
