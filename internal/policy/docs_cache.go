package policy

import (
	"sync"
	"time"
)

// docsTTL is how long the document list is served from memory. A change
// through this store (this process) is seen at once; one made by another
// instance or by a command-line run, within this time.
const docsTTL = 2 * time.Second

// docsCache keeps the list every visitor of the policy pages reads
// (/policy lists it on every view), so that a busy morning does not read
// the documents and their versions from the database on each request.
type docsCache struct {
	mu   sync.Mutex
	gen  uint64 // bumped after every change
	docs []Document
	at   time.Time
	of   uint64 // the generation docs were read in
}

// get returns a copy of the kept list while it is fresh, and the
// generation a caller must pass to put after reading the list itself.
func (c *docsCache) get(now time.Time) ([]Document, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.docs == nil || c.of != c.gen || now.Sub(c.at) >= docsTTL || now.Before(c.at) {
		return nil, c.gen, false
	}
	return copyDocs(c.docs), c.gen, true
}

// put keeps docs read in generation gen, unless a change came meanwhile.
func (c *docsCache) put(docs []Document, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	c.docs, c.of, c.at = copyDocs(docs), gen, now
	if c.docs == nil {
		c.docs = []Document{}
	}
}

// forget drops the list; every write calls it once its transaction is over.
func (c *docsCache) forget() {
	c.mu.Lock()
	c.gen++
	c.docs = nil
	c.mu.Unlock()
}

// copyDocs copies the list deeply enough that a caller may change what it
// got (the index drops drafts for staff) without touching the kept one.
func copyDocs(docs []Document) []Document {
	if docs == nil {
		return nil
	}
	out := make([]Document, len(docs))
	for i, d := range docs {
		if d.Adopted != nil {
			v := *d.Adopted
			d.Adopted = &v
		}
		d.Drafts = append([]Version(nil), d.Drafts...)
		out[i] = d
	}
	return out
}
