package plan9

import (
	"errors"
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

// ValidateShareName accepts only a share name of decimal ASCII digits, the
// names a host's counter gives its shares; a confidential VM takes no
// other (the kernel would read anything but ',' as the attach name). The
// error does not repeat the name.
func ValidateShareName(name string) error {
	if name == "" {
		return errors.New("share name is empty, want decimal digits")
	}
	for i := 0; i < len(name); i++ {
		if name[i] < '0' || name[i] > '9' {
			return fmt.Errorf("share name has a byte other than a decimal digit at offset %d", i)
		}
	}
	return nil
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
