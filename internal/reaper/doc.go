// Package reaper makes this process the child subreaper of everything it
// runs and reaps every child that exits, including orphaned grandchildren
// such as container init processes and detached `runc exec -d` processes
// that the kernel reparents to us.
//
// A process can subscribe to the exit of a pid: through Start for a command
// it launches (registered before the reap loop can see the exit), or through
// Subscribe for a pid it learned later, for example from a pid file. Exits
// nobody subscribed to yet are kept for a while, in a bounded store, so a
// late subscriber still gets them.
//
// Only one Reaper may run in a process: it reaps with wait4(-1), so any
// other code in the same process that waits for its own children (os/exec's
// Cmd.Wait, Cmd.Run, Cmd.Output) would lose their exits to it. Run such
// commands through the Reaper instead.
package reaper
