package database

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// CheckpointEvery is how often the SQLite checkpointer copies the
// write-ahead log's new pages into the database file.
const CheckpointEvery = 100 * time.Millisecond

// checkpointer copies the SQLite write-ahead log into the database file in
// the background, on a connection of its own. Left to SQLite, the commit
// that takes the log past 1,000 pages does the copy itself, with two
// fsyncs, and every write queued behind that commit waits for it: when the
// whole ward submits at once that was every twentieth commit, 15 ms each,
// most of the 99th percentile of a submission. A passive checkpoint waits
// for no reader or writer; writers go on appending to the log meanwhile.
type checkpointer struct {
	db   *sql.DB
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func startCheckpointer(ctx context.Context, dsn string) (*checkpointer, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	c := &checkpointer{db: db, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c, nil
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(CheckpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			// A failure (the file is busy being restored, say) is tried
			// again at the next tick; the log only grows meanwhile.
			_, _ = c.db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

// close stops the checkpointer; a second call does nothing.
func (c *checkpointer) close() error {
	var err error
	c.once.Do(func() {
		close(c.stop)
		<-c.done
		err = c.db.Close()
	})
	return err
}
