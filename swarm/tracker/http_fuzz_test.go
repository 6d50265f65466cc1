package tracker

import (
	"net/url"
	"strings"
	"testing"
)

func FuzzParseAnnounce(f *testing.F) {
	ih := url.QueryEscape(strings.Repeat("\x00 +%&", 4))
	id := url.QueryEscape("-TR2940-abcdefghijkl")
	f.Add([]byte("info_hash=" + ih + "&peer_id=" + id + "&port=6881&uploaded=0&downloaded=0&left=100&compact=1&event=started&numwant=50"))
	f.Add([]byte("info_hash=" + ih + "&peer_id=" + id + "&port=65535&event=stopped&numwant=-1"))
	f.Add([]byte("info_hash=%zz&peer_id=&port=0"))
	f.Add([]byte("info_hash=" + ih + "&info_hash=" + ih))
	f.Add([]byte("&&==&port=%&left=99999999999999999999"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, query []byte) {
		r, err := parseHTTPAnnounce(query)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty failure reason")
			}
			return
		}
		if r.port == 0 {
			t.Fatalf("accepted port 0 from %q", query)
		}
		if len(query) > maxQueryLen {
			t.Fatalf("accepted a %d-byte query", len(query))
		}
		if r.numwant < -1 || r.left < -1 || r.event > eventCompleted {
			t.Fatalf("out of range %+v", r)
		}
	})
}

func FuzzScrapeQuery(f *testing.F) {
	ih := url.QueryEscape(strings.Repeat("\x01\x02 +", 5))
	f.Add([]byte("info_hash=" + ih))
	f.Add([]byte("info_hash=" + ih + "&info_hash=" + ih + "&x=1"))
	f.Add([]byte("info_hash=%4"))
	f.Add([]byte(strings.Repeat("info_hash="+ih+"&", 3)))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, query []byte) {
		var dst [maxScrapeHashes]InfoHash
		n, err := parseHTTPScrape(query, &dst)
		if err != nil {
			if n != 0 || err.Error() == "" {
				t.Fatalf("n=%d with error %v", n, err)
			}
			return
		}
		if n < 1 || n > maxScrapeHashes {
			t.Fatalf("n=%d", n)
		}
		for i := range n {
			for j := range i {
				if dst[i] == dst[j] {
					t.Fatalf("duplicate hash at %d and %d", i, j)
				}
			}
		}
	})
}
