// This file is copied into a private copy of github.com/hashicorp/memberlist by
// test/interop/cluster-wire-go.test.ts, so the interop program can call memberlist's own
// unexported encoders, decoders and send/receive paths. It changes nothing else.

package memberlist

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/ioutil"
	"net"
	"sync"
	"time"
)

func rivNew(kind string) (messageType, interface{}, bool, error) {
	switch kind {
	case "ping":
		return pingMsg, &ping{}, true, nil
	case "indirectPing":
		return indirectPingMsg, &indirectPingReq{}, true, nil
	case "ackResp":
		return ackRespMsg, &ackResp{}, true, nil
	case "nackResp":
		return nackRespMsg, &nackResp{}, true, nil
	case "err":
		return errMsg, &errResp{}, true, nil
	case "suspect":
		return suspectMsg, &suspect{}, true, nil
	case "alive":
		return aliveMsg, &alive{}, true, nil
	case "dead":
		return deadMsg, &dead{}, true, nil
	case "pushPullHeader":
		return 0, &pushPullHeader{}, false, nil
	case "pushNodeState":
		return 0, &pushNodeState{}, false, nil
	case "userMsgHeader":
		return 0, &userMsgHeader{}, false, nil
	case "compress":
		return 0, &compress{}, false, nil
	}
	return 0, nil, false, fmt.Errorf("unknown kind %q", kind)
}

// RivMessageTypes reports memberlist's message type numbers.
func RivMessageTypes() map[string]int {
	return map[string]int{
		"ping": int(pingMsg), "indirectPing": int(indirectPingMsg), "ackResp": int(ackRespMsg),
		"suspect": int(suspectMsg), "alive": int(aliveMsg), "dead": int(deadMsg),
		"pushPull": int(pushPullMsg), "compound": int(compoundMsg), "user": int(userMsg),
		"compress": int(compressMsg), "encrypt": int(encryptMsg), "nackResp": int(nackRespMsg),
		"hasCrc": int(hasCrcMsg), "err": int(errMsg),
		"protocolVersionMin": int(ProtocolVersionMin), "protocolVersionMax": ProtocolVersionMax,
		"protocolVersion2Compatible": ProtocolVersion2Compatible, "metaMaxSize": MetaMaxSize,
		"stateAlive": int(StateAlive), "stateSuspect": int(StateSuspect), "stateDead": int(StateDead),
		"stateLeft": int(StateLeft), "udpBufferSize": DefaultLANConfig().UDPBufferSize,
		"encryptOverhead0": encryptOverhead(0), "encryptOverhead1": encryptOverhead(1),
	}
}

// RivEncode encodes a message (with its type byte) or a bare struct from its JSON form.
func RivEncode(kind string, fields json.RawMessage) ([]byte, error) {
	t, v, typed, err := rivNew(kind)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(fields, v); err != nil {
		return nil, err
	}
	buf, err := encode(t, v)
	if err != nil {
		return nil, err
	}
	if typed {
		return buf.Bytes(), nil
	}
	return buf.Bytes()[1:], nil
}

// RivDecode decodes a message body (no type byte) or a bare struct with memberlist's decode.
func RivDecode(kind string, body []byte) (interface{}, error) {
	_, v, _, err := rivNew(kind)
	if err != nil {
		return nil, err
	}
	if err := decode(body, v); err != nil {
		return nil, err
	}
	return v, nil
}

// RivMakeCompound is makeCompoundMessage.
func RivMakeCompound(parts [][]byte) []byte { return makeCompoundMessage(parts).Bytes() }

// RivDecodeCompound is decodeCompoundMessage on the bytes after the type byte. A panic inside it
// is reported as an error.
func RivDecodeCompound(buf []byte) (trunc int, parts [][]byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return decodeCompoundMessage(buf)
}

// RivCompress is compressPayload.
func RivCompress(in []byte) ([]byte, error) {
	buf, err := compressPayload(in)
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// RivDecompress is decompressPayload on a whole compress message (type byte included).
func RivDecompress(msg []byte) ([]byte, error) {
	if len(msg) == 0 || messageType(msg[0]) != compressMsg {
		return nil, errors.New("not a compress message")
	}
	return decompressPayload(msg[1:])
}

// RivEncrypt is encryptPayload.
func RivEncrypt(vsn uint8, key, msg, data []byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := encryptPayload(encryptionVersion(vsn), key, msg, data, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// RivDecrypt is decryptPayload.
func RivDecrypt(keys [][]byte, msg, data []byte) ([]byte, error) { return decryptPayload(keys, msg, data) }

type rivTransport struct {
	packetCh chan *Packet
	streamCh chan net.Conn
	mu       sync.Mutex
	sent     [][]byte
}

func (t *rivTransport) FinalAdvertiseAddr(ip string, port int) (net.IP, int, error) {
	return net.IPv4(127, 0, 0, 1).To4(), 7946, nil
}

func (t *rivTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sent = append(t.sent, append([]byte(nil), b...))
	return time.Now(), nil
}

func (t *rivTransport) PacketCh() <-chan *Packet { return t.packetCh }

func (t *rivTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return nil, errors.New("dialing is not supported in the interop harness")
}

func (t *rivTransport) StreamCh() <-chan net.Conn { return t.streamCh }

func (t *rivTransport) Shutdown() error { return nil }

func (t *rivTransport) takeSent() [][]byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := t.sent
	t.sent = nil
	return out
}

type rivDelegate struct {
	meta   []byte
	state  []byte
	mu     sync.Mutex
	msgs   [][]byte
	merged [][]byte
}

func (d *rivDelegate) NodeMeta(limit int) []byte { return d.meta }

func (d *rivDelegate) NotifyMsg(b []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.msgs = append(d.msgs, append([]byte(nil), b...))
}

func (d *rivDelegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }

func (d *rivDelegate) LocalState(join bool) []byte { return d.state }

func (d *rivDelegate) MergeRemoteState(buf []byte, join bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.merged = append(d.merged, append([]byte(nil), buf...))
}

// RivNode is a real memberlist whose packets are captured instead of sent.
type RivNode struct {
	M *Memberlist
	t *rivTransport
	d *rivDelegate
}

// RivNewNode creates a memberlist with no background timers, so only what the harness feeds it
// makes it send anything.
func RivNewNode(name string, compress bool, keys [][]byte, protocolVersion uint8, meta, state []byte) (*RivNode, error) {
	t := &rivTransport{packetCh: make(chan *Packet), streamCh: make(chan net.Conn)}
	d := &rivDelegate{meta: meta, state: state}
	conf := DefaultLANConfig()
	conf.Name = name
	conf.Transport = t
	conf.Delegate = d
	conf.LogOutput = ioutil.Discard
	conf.EnableCompression = compress
	conf.ProtocolVersion = protocolVersion
	conf.ProbeInterval = 0
	conf.GossipInterval = 0
	conf.PushPullInterval = 0
	if len(keys) > 0 {
		kr, err := NewKeyring(keys, keys[0])
		if err != nil {
			return nil, err
		}
		conf.Keyring = kr
	}
	m, err := Create(conf)
	if err != nil {
		return nil, err
	}
	return &RivNode{M: m, t: t, d: d}, nil
}

// Ingest hands a packet to ingestPacket, as if it came from 127.0.0.1:fromPort, and returns the
// packets memberlist sent while handling it.
func (n *RivNode) Ingest(buf []byte, fromPort int, wait time.Duration) [][]byte {
	n.t.takeSent()
	n.M.ingestPacket(buf, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: fromPort}, time.Now())
	time.Sleep(wait)
	return n.t.takeSent()
}

// SendPacket sends msg through rawSendMsgPacket to a node with the given protocol maximum.
func (n *RivNode) SendPacket(msg []byte, pmax uint8) ([][]byte, error) {
	n.t.takeSent()
	node := &Node{Name: "ts-node", Addr: net.IPv4(127, 0, 0, 1).To4(), Port: 7947, PMin: 1, PMax: pmax, PCur: 2}
	if err := n.M.rawSendMsgPacket(node.FullAddress(), node, msg); err != nil {
		return nil, err
	}
	return n.t.takeSent(), nil
}

// HandleConn runs handleConn on one end of a pipe, writes input to the other end, and returns
// everything memberlist wrote back before closing the connection.
func (n *RivNode) HandleConn(input []byte) ([]byte, error) {
	client, server := net.Pipe()
	go n.M.handleConn(server)
	client.SetDeadline(time.Now().Add(5 * time.Second))
	writeErr := make(chan error, 1)
	go func() {
		_, err := client.Write(input)
		writeErr <- err
	}()
	out, err := ioutil.ReadAll(client)
	client.Close()
	if err != nil && err != io.EOF {
		return out, err
	}
	if werr := <-writeErr; werr != nil && len(out) == 0 {
		return out, werr
	}
	return out, nil
}

// RivMember is a node as memberlist knows it.
type RivMember struct {
	Name                               string
	Addr                               []byte
	Port                               uint16
	Meta                               []byte
	State                              int
	PMin, PMax, PCur, DMin, DMax, DCur uint8
}

// Members lists every node memberlist knows, in any state.
func (n *RivNode) Members() []RivMember {
	n.M.nodeLock.RLock()
	defer n.M.nodeLock.RUnlock()
	out := []RivMember{}
	for _, s := range n.M.nodes {
		out = append(out, RivMember{
			Name: s.Name, Addr: []byte(s.Addr), Port: s.Port, Meta: s.Meta, State: int(s.State),
			PMin: s.PMin, PMax: s.PMax, PCur: s.PCur, DMin: s.DMin, DMax: s.DMax, DCur: s.DCur,
		})
	}
	return out
}

// Delegate returns the user messages and remote user states the delegate received.
func (n *RivNode) Delegate() ([][]byte, [][]byte) {
	n.d.mu.Lock()
	defer n.d.mu.Unlock()
	return n.d.msgs, n.d.merged
}
