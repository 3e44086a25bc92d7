package mattermost

import (
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
)

// cutProxy forwards TCP connections on a loopback port to a target, and
// can cut them all to play a network outage between Leitstelle and the
// Mattermost server.
type cutProxy struct {
	URL string

	target   string
	listener net.Listener

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

// startProxy forwards a loopback port to the host of targetURL until the
// test ends.
func startProxy(tb testing.TB, targetURL string) *cutProxy {
	tb.Helper()
	u, err := url.Parse(targetURL)
	if err != nil {
		tb.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &cutProxy{URL: "http://" + l.Addr().String(), target: u.Host, listener: l, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	tb.Cleanup(p.close)
	return p
}

func (p *cutProxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.listener.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}

		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			client.Close()
			continue
		}
		p.wg.Add(1)
		go p.forward(client)
	}
}

// forward copies between client and a new connection to the target until
// either side closes.
func (p *cutProxy) forward(client net.Conn) {
	defer p.wg.Done()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	if !p.track(client, server) {
		return
	}

	done := make(chan struct{}, 2)
	go func() { io.Copy(server, client); done <- struct{}{} }()
	go func() { io.Copy(client, server); done <- struct{}{} }()
	<-done
	client.Close()
	server.Close()
	<-done
	p.untrack(client, server)
}

// track records a connection pair, or closes it when the proxy went down
// in the meantime.
func (p *cutProxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		for _, c := range conns {
			c.Close()
		}
		return false
	}
	for _, c := range conns {
		p.conns[c] = true
	}
	return true
}

func (p *cutProxy) untrack(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		delete(p.conns, c)
	}
}

// Down closes every forwarded connection and rejects new ones until Up.
// When it returns, no byte passes the proxy any more.
func (p *cutProxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
}

// Up forwards new connections again.
func (p *cutProxy) Up() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

func (p *cutProxy) close() {
	p.listener.Close()
	p.Down()
	p.wg.Wait()
}
