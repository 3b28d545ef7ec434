package app

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// rawConn is one keep-alive HTTP/1.1 connection driven by hand, as wrk
// and the page load of bench web drive theirs: the request is written and
// the answer read on the calling goroutine. net/http's client hands every
// request to two goroutines of its own and back; on a 2-core machine
// shared with the server, those hand-offs waited for a processor behind
// the server's work and added their wait to every latency measured.
type rawConn struct {
	addr string
	conn net.Conn
	br   *bufio.Reader
	body bytes.Buffer
}

// rawRequest builds a request's bytes: method, path, header lines
// ("Name: value") and a form body (none when empty).
func rawRequest(method, host, path string, header []string, form string) []byte {
	var b bytes.Buffer
	b.Grow(256 + len(form))
	b.WriteString(method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: mamori-bench\r\n")
	for _, h := range header {
		b.WriteString(h + "\r\n")
	}
	if form != "" || method == http.MethodPost {
		b.WriteString("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + strconv.Itoa(len(form)) + "\r\n")
	}
	b.WriteString("\r\n")
	b.WriteString(form)
	return b.Bytes()
}

// do sends req and returns the answer; the body is valid until the next
// call. The connection is opened when needed and dropped after an error
// or when the server closes it.
func (c *rawConn) do(ctx context.Context, req []byte) (*http.Response, []byte, error) {
	if c.conn == nil {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", c.addr)
		if err != nil {
			return nil, nil, err
		}
		c.conn, c.br = conn, bufio.NewReaderSize(conn, 64<<10)
	}
	_ = c.conn.SetDeadline(time.Now().Add(time.Minute))
	if _, err := c.conn.Write(req); err != nil {
		c.close()
		return nil, nil, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.close()
		return nil, nil, err
	}
	c.body.Reset()
	if resp.ContentLength > 0 {
		c.body.Grow(int(resp.ContentLength))
	}
	_, err = c.body.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil {
		c.close()
		return nil, nil, err
	}
	if resp.Close {
		c.close()
	}
	return resp, c.body.Bytes(), nil
}

func (c *rawConn) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// expectAckRaw sends a submission and wants the acknowledgement page.
func expectAckRaw(ctx context.Context, c *rawConn, req []byte) error {
	resp, b, err := c.do(ctx, req)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !bytes.Contains(b, ackBytes) {
		return fmt.Errorf("提出が受理されませんでした（HTTP %d）: %s", resp.StatusCode, truncateText(string(b), 300))
	}
	return nil
}

var ackBytes = []byte("回答を提出しました")

// cookieHeader is the Cookie line that sends back what resp set.
func cookieHeader(resp *http.Response) string {
	var parts []string
	for _, ck := range resp.Cookies() {
		if ck.MaxAge >= 0 && ck.Value != "" {
			parts = append(parts, ck.Name+"="+ck.Value)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "Cookie: " + strings.Join(parts, "; ")
}
