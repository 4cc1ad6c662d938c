package embedded

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// OneAtATimeVariable names a read-only global system variable that the engine shows as 1: it runs one
// connection's statement or transaction at a time (the gate, engine.go), so while any statement runs —
// odsim's reading of NOW() for a poll window included — no other connection's write is in flight and
// no other transaction is open. odsim's store reads it (SELECT @@global.odsim_one_at_a_time; MySQL and
// MariaDB have no such variable) and lets poll windows end at NOW() with no write to wait for. A change
// that lets two connections run at once must drop this variable and give the store a way to see the
// writes in flight; poller's TestEmbeddedTransactionHoldsThePoll fails otherwise.
const OneAtATimeVariable = "odsim_one_at_a_time"

func init() {
	sql.SystemVariables.AddSystemVariables([]sql.SystemVariable{&sql.MysqlSystemVariable{
		Name:    OneAtATimeVariable,
		Scope:   sql.GetMysqlScope(sql.SystemVariableScope_Global),
		Dynamic: false,
		Type:    types.NewSystemBoolType(OneAtATimeVariable),
		Default: int8(1),
	}})
}
