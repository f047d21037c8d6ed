package plan9

import (
	"fmt"
	"strings"

	"github.com/sirupsen/logrus"
)

// MSize is the 9P message size Mount negotiates, as the reference does.
const MSize = 65536

// Options are the MappedDirectory settings besides the port and the
// mount path.
type Options struct {
	// ShareName is sent as the attach name (aname); empty for none.
	ShareName string
	// ReadOnly mounts the share read-only.
	ReadOnly bool
	// AllowedRoots, when not empty, confines targets to paths strictly
	// below one of these directories (symbolic links resolved).
	AllowedRoots []string
	Log          *logrus.Entry
}

// data returns the mount data for the connection's descriptor fd.
func (o Options) data(fd int) (string, error) {
	if strings.ContainsAny(o.ShareName, ",\x00") {
		return "", fmt.Errorf("share name %q contains ',' or NUL", o.ShareName)
	}
	d := fmt.Sprintf("trans=fd,rfdno=%d,wfdno=%d,msize=%d,version=9p2000.L", fd, fd, MSize)
	if o.ShareName != "" {
		d += ",aname=" + o.ShareName
	}
	return d, nil
}

func (o Options) log() *logrus.Entry {
	if o.Log == nil {
		return logrus.NewEntry(logrus.StandardLogger())
	}
	return o.Log
}
