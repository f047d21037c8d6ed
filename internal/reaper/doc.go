// Package reaper makes this process the child subreaper of everything it
// runs and reaps every child that exits, including orphaned grandchildren
// such as container init processes and detached `runc exec -d` processes
// that the kernel reparents to us.
//
// A process can subscribe to the exit of a pid: through Start or
// StartProcess for a command it launches (registered before the reap loop
// can see the exit), or through Hold and Hold.Track for a process another
// program starts and names in a pid file (runc create, runc exec -d): the
// hold keeps that process unreaped, so its pid cannot be reused, until
// Track has pinned it with a pidfd. A Process is signalled through its
// pidfd and never reaches a later process with the same pid. Subscribe
// takes a bare pid and cannot tell such processes apart. Exits nobody
// subscribed to yet are kept for a while, each with its reap order, in a
// bounded store, so a late subscriber still gets them.
//
// Only one Reaper may run in a process: it reaps with wait4(-1), so any
// other code in the same process that waits for its own children (os/exec's
// Cmd.Wait, Cmd.Run, Cmd.Output) would lose their exits to it. Run such
// commands through the Reaper instead.
package reaper
