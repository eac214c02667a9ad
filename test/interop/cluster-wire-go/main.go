// The memberlist interop program for test/interop/cluster-wire-go.test.ts. It reads a JSON
// array of requests on stdin and writes a JSON array of results, one per request, on stdout.
// Byte strings travel as hex.

package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/memberlist"
)

type request struct {
	Op              string          `json:"op"`
	Kind            string          `json:"kind"`
	Fields          json.RawMessage `json:"fields"`
	Hex             string          `json:"hex"`
	Parts           []string        `json:"parts"`
	Keys            []string        `json:"keys"`
	Data            string          `json:"data"`
	Vsn             uint8           `json:"vsn"`
	ID              string          `json:"id"`
	Name            string          `json:"name"`
	Compress        bool            `json:"compress"`
	ProtocolVersion uint8           `json:"protocolVersion"`
	Meta            string          `json:"meta"`
	State           string          `json:"state"`
	FromPort        int             `json:"fromPort"`
	WaitMs          int             `json:"waitMs"`
	PMax            uint8           `json:"pmax"`
}

type result map[string]interface{}

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(fmt.Sprintf("bad hex %q: %v", s, err))
	}
	return b
}

func hexAll(bs [][]byte) []string {
	out := make([]string, 0, len(bs))
	for _, b := range bs {
		out = append(out, hex.EncodeToString(b))
	}
	return out
}

func unhexAll(ss []string) [][]byte {
	out := make([][]byte, 0, len(ss))
	for _, s := range ss {
		out = append(out, unhex(s))
	}
	return out
}

func withErr(r result, err error) result {
	if err != nil {
		r["error"] = err.Error()
	}
	return r
}

func main() {
	var reqs []request
	if err := json.NewDecoder(os.Stdin).Decode(&reqs); err != nil {
		fmt.Fprintln(os.Stderr, "bad request:", err)
		os.Exit(2)
	}
	nodes := map[string]*memberlist.RivNode{}
	results := make([]result, 0, len(reqs))
	for _, q := range reqs {
		r := result{}
		switch q.Op {
		case "constants":
			r["value"] = memberlist.RivMessageTypes()
		case "encode":
			b, err := memberlist.RivEncode(q.Kind, q.Fields)
			r = withErr(result{"hex": hex.EncodeToString(b)}, err)
		case "decode":
			v, err := memberlist.RivDecode(q.Kind, unhex(q.Hex))
			r = withErr(result{"value": v}, err)
		case "compound":
			r["hex"] = hex.EncodeToString(memberlist.RivMakeCompound(unhexAll(q.Parts)))
		case "decodeCompound":
			trunc, parts, err := memberlist.RivDecodeCompound(unhex(q.Hex))
			r = withErr(result{"truncated": trunc, "parts": hexAll(parts)}, err)
		case "compress":
			b, err := memberlist.RivCompress(unhex(q.Hex))
			r = withErr(result{"hex": hex.EncodeToString(b)}, err)
		case "decompress":
			b, err := memberlist.RivDecompress(unhex(q.Hex))
			r = withErr(result{"hex": hex.EncodeToString(b)}, err)
		case "encrypt":
			b, err := memberlist.RivEncrypt(q.Vsn, unhex(q.Keys[0]), unhex(q.Hex), unhex(q.Data))
			r = withErr(result{"hex": hex.EncodeToString(b)}, err)
		case "decrypt":
			b, err := memberlist.RivDecrypt(unhexAll(q.Keys), unhex(q.Hex), unhex(q.Data))
			r = withErr(result{"hex": hex.EncodeToString(b)}, err)
		case "node":
			n, err := memberlist.RivNewNode(q.Name, q.Compress, unhexAll(q.Keys), q.ProtocolVersion, unhex(q.Meta), unhex(q.State))
			if err == nil {
				nodes[q.ID] = n
			}
			r = withErr(r, err)
		case "ingest":
			sent := nodes[q.ID].Ingest(unhex(q.Hex), q.FromPort, time.Duration(q.WaitMs)*time.Millisecond)
			r["sent"] = hexAll(sent)
		case "sendPacket":
			sent, err := nodes[q.ID].SendPacket(unhex(q.Hex), q.PMax)
			r = withErr(result{"sent": hexAll(sent)}, err)
		case "conn":
			out, err := nodes[q.ID].HandleConn(unhex(q.Hex))
			r = withErr(result{"hex": hex.EncodeToString(out)}, err)
		case "members":
			r["value"] = nodes[q.ID].Members()
		case "delegate":
			msgs, merged := nodes[q.ID].Delegate()
			r["msgs"] = hexAll(msgs)
			r["merged"] = hexAll(merged)
		case "sleep":
			time.Sleep(time.Duration(q.WaitMs) * time.Millisecond)
		default:
			r["error"] = "unknown op " + q.Op
		}
		results = append(results, r)
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, "write:", err)
		os.Exit(2)
	}
}
