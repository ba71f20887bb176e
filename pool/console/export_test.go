package console

// SetMessagesRead changes how many outbox messages one read takes, until the returned
// function restores it. Tests that use it must not run in parallel.
func SetMessagesRead(n int) (restore func()) {
	old := messagesRead
	messagesRead = n
	return func() { messagesRead = old }
}
