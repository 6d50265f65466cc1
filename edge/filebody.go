package edge

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
)

// sectionBody streams one section of a file as a response body. fasthttp
// calls WriteTo with its fixed-size body writer, whose ReadFrom hands the
// io.LimitedReader around the descriptor down to net.TCPConn.ReadFrom, i.e.
// sendfile(2): the bytes never enter user space. fasthttp closes the body
// after writing it (or when the response is reset), which closes the file.
type sectionBody struct {
	file   fileFD
	lr     io.LimitedReader
	uncork func() // set when the response's socket was corked for it
}

// newSectionBody takes ownership of fd; on error fd is closed.
func newSectionBody(fd int, r ByteRange) (*sectionBody, error) {
	b := &sectionBody{file: fileFD{fd: fd}}
	if r.Start != 0 {
		if err := b.file.seek(r.Start); err != nil {
			_ = b.file.close()
			return nil, err
		}
	}
	b.lr = io.LimitedReader{R: &b.file, N: r.Length}
	return b, nil
}

func (b *sectionBody) Read(p []byte) (int, error) { return b.lr.Read(p) }

func (b *sectionBody) WriteTo(w io.Writer) (int64, error) {
	n, err := copySection(w, &b.lr)
	b.release()
	return n, err
}

func (b *sectionBody) Close() error {
	b.release()
	return b.file.close()
}

func (b *sectionBody) release() {
	if b.uncork != nil {
		b.uncork()
		b.uncork = nil
	}
}

// copySection copies lr to w, through w's ReadFrom when it has one (the
// sendfile path).
func copySection(w io.Writer, lr *io.LimitedReader) (int64, error) {
	if rf, ok := w.(io.ReaderFrom); ok {
		return rf.ReadFrom(lr)
	}
	return io.Copy(w, struct{ io.Reader }{lr})
}

// multipartBody streams a multipart/byteranges body (RFC 9110 §14.6): for
// each range a delimiter, Content-Type and Content-Range, then the bytes,
// which go through sendfile like a single range.
type multipartBody struct {
	file    fileFD
	ranges  []ByteRange
	heads   [][]byte // part headers, heads[i] precedes ranges[i]
	tail    []byte   // closing delimiter
	lr      io.LimitedReader
	next    int    // Read state: index of the next part to start
	pending []byte // Read state: header bytes not yet returned
	done    bool   // Read state: tail queued
}

// newMultipart lays out the parts for ranges of a file of size bytes and
// content type ctype. It returns the body (owning no file yet), its exact
// length and the boundary.
func newMultipart(ranges []ByteRange, size int64, ctype string) (*multipartBody, int64, string) {
	boundary := rand.Text()
	m := &multipartBody{ranges: append([]ByteRange(nil), ranges...), file: fileFD{fd: -1}}
	total := int64(0)
	for i, r := range ranges {
		var h []byte
		if i > 0 {
			h = append(h, "\r\n"...)
		}
		h = append(h, "--"...)
		h = append(h, boundary...)
		h = append(h, "\r\nContent-Type: "...)
		h = append(h, ctype...)
		h = append(h, "\r\nContent-Range: "...)
		h = appendContentRange(h, r, size)
		h = append(h, "\r\n\r\n"...)
		m.heads = append(m.heads, h)
		total += int64(len(h)) + r.Length
	}
	m.tail = []byte("\r\n--" + boundary + "--\r\n")
	total += int64(len(m.tail))
	return m, total, boundary
}

// attach hands the open file to the body; the body closes it.
func (m *multipartBody) attach(fd int) { m.file.fd = fd }

func (m *multipartBody) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for i, r := range m.ranges {
		n, err := w.Write(m.heads[i])
		total += int64(n)
		if err != nil {
			return total, err
		}
		if err := m.file.seek(r.Start); err != nil {
			return total, err
		}
		m.lr = io.LimitedReader{R: &m.file, N: r.Length}
		c, err := copySection(w, &m.lr)
		total += c
		if err != nil {
			return total, err
		}
		if c != r.Length {
			return total, fmt.Errorf("edge: file shrank while serving range %d-%d: %w", r.Start, r.Last(), io.ErrUnexpectedEOF)
		}
	}
	n, err := w.Write(m.tail)
	return total + int64(n), err
}

func (m *multipartBody) Read(p []byte) (int, error) {
	for {
		if len(m.pending) > 0 {
			n := copy(p, m.pending)
			m.pending = m.pending[n:]
			return n, nil
		}
		if m.lr.N > 0 {
			n, err := m.lr.Read(p)
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF // the file shrank under us
			}
			return n, err
		}
		if m.next < len(m.ranges) {
			r := m.ranges[m.next]
			m.pending = m.heads[m.next]
			m.next++
			if err := m.file.seek(r.Start); err != nil {
				return 0, err
			}
			m.lr = io.LimitedReader{R: &m.file, N: r.Length}
			continue
		}
		if !m.done {
			m.done = true
			m.pending = m.tail
			continue
		}
		return 0, io.EOF
	}
}

func (m *multipartBody) Close() error { return m.file.close() }

// multipartContentType is the response Content-Type for a boundary.
func multipartContentType(boundary string) string {
	return "multipart/byteranges; boundary=" + boundary
}
