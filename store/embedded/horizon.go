package embedded

// RunsOneAtATime reports that the engine runs one connection's statement or transaction at a time
// (the gate, engine.go): while any statement runs — odsim's reading of NOW() for a poll window
// included — no other connection's write is in flight and no other transaction is open. odsim's poll
// windows may therefore end at NOW() with no write to wait for (store.OneAtATime, the window horizon).
// A change that lets two connections run at once must change this answer, and give store a way to see
// the writes in flight; poller's TestEmbeddedTransactionHoldsThePoll fails otherwise.
func (s *Server) RunsOneAtATime() bool { return true }
