// Package pooltest starts real pool servers for tests: in-process behind a real HTTP listener
// on loopback, on the memory, SQLite or PostgreSQL backend, and hands out aws-sdk-go-v2
// clients pointed at them with static credentials, so that nothing ever asks for instance
// metadata or dials off loopback.
package pooltest
