package pmem

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/devmapper"
	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
)

// assertNoDevices fails t if any of the named device-mapper devices exist.
func assertNoDevices(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if ok, err := devmapper.Exists(t.Context(), n); err != nil || ok {
			t.Errorf("device-mapper device %s left behind (%v)", n, err)
		}
	}
}

func TestMappedLayers(t *testing.T) {
	mounttest.RequireDeviceMapper(t)
	e := newEnv(t)
	// Three layers packed on one device after a 1 MiB gap; the last one
	// with its verity tree inside its range.
	var dev []byte
	dev = append(dev, make([]byte, 1<<20)...)
	var maps []*prot.LCOWVPMemMappingInfo
	var verity []*prot.DeviceVerityInfo
	for i := range 3 {
		img := mounttest.Ext4Image(t, layerSize, map[string]string{"layer.txt": fmt.Sprint("layer ", i)})
		var v *prot.DeviceVerityInfo
		if i == 2 {
			img, v = verityImage(t, img, "0badc0de", false)
		}
		maps = append(maps, &prot.LCOWVPMemMappingInfo{DeviceOffsetInBytes: uint64(len(dev)), DeviceSizeInBytes: uint64(len(img))})
		verity = append(verity, v)
		dev = append(dev, img...)
	}
	e.addDevice(t, 0, dev)
	var targets []string
	for i, m := range maps {
		target, err := e.mount(t, 0, fmt.Sprint("l", i), e.options(t, m, verity[i]))
		if err != nil {
			t.Fatalf("layer %d: %v", i, err)
		}
		targets = append(targets, target)
	}
	for i, target := range targets { // all coexist
		assertLayer(t, target, "layer.txt", fmt.Sprint("layer ", i))
	}
	for i, target := range targets {
		if err := Unmount(t.Context(), 0, target, e.options(t, maps[i], verity[i])); err != nil {
			t.Fatal(err)
		}
		assertNoDevices(t, LinearName(0, maps[i]), VerityName(0, maps[i]))
	}
}

func TestVerity(t *testing.T) {
	mounttest.RequireDeviceMapper(t)
	image := mounttest.Ext4Image(t, layerSize, map[string]string{"layer.txt": "verified"})
	for _, tc := range []struct {
		name       string
		salt       string
		superBlock bool
		corrupt    func(v *prot.DeviceVerityInfo, dev []byte)
		wantErr    string
	}{
		{name: "right digest", salt: "00112233"},
		{name: "no salt"},
		{name: "superblock", salt: "aa", superBlock: true},
		{name: "wrong digest", salt: "00112233", wantErr: "root digest",
			corrupt: func(v *prot.DeviceVerityInfo, _ []byte) { v.RootDigest = strings.Repeat("0", 64) }},
		{name: "wrong salt", salt: "00112233", wantErr: "root digest",
			corrupt: func(v *prot.DeviceVerityInfo, _ []byte) { v.Salt = "00112234" }},
		{name: "superblock not declared", salt: "aa", superBlock: true, wantErr: "root digest",
			corrupt: func(v *prot.DeviceVerityInfo, _ []byte) { v.SuperBlock = false }},
		{name: "corrupt first block", wantErr: "root digest",
			corrupt: func(_ *prot.DeviceVerityInfo, dev []byte) { dev[0] ^= 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			dev, v := verityImage(t, image, tc.salt, tc.superBlock)
			if tc.corrupt != nil {
				tc.corrupt(v, dev)
			}
			e.addDevice(t, 1, dev)
			target, err := e.mount(t, 1, "v", e.options(t, nil, v))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
				}
				t.Logf("refused as it should: %v", err)
				if _, ok := mounttest.Mounted(t, target); ok {
					t.Fatal("mounted anyway")
				}
				assertNoDevices(t, VerityName(1, nil))
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m, _ := mounttest.Mounted(t, target); m.Source != devmapper.Path(VerityName(1, nil)) {
				t.Errorf("mounted %s, want the verity device", m.Source)
			}
			assertLayer(t, target, "layer.txt", "verified")
			if err := Unmount(t.Context(), 1, target, e.options(t, nil, v)); err != nil {
				t.Fatal(err)
			}
			assertNoDevices(t, VerityName(1, nil))
		})
	}
}

func TestVerityDetectsLaterCorruption(t *testing.T) {
	mounttest.RequireDeviceMapper(t)
	e := newEnv(t)
	image := mounttest.Ext4Image(t, layerSize, map[string]string{"layer.txt": strings.Repeat("v", 100000)})
	dev, v := verityImage(t, image, "", false)
	// Flip every byte of the blocks holding the file's content, found by
	// its pattern: block 0 (checked at mount) stays intact.
	i := bytes.Index(dev, bytes.Repeat([]byte("v"), 4096))
	if i < 4096 {
		t.Fatalf("file content not found in the image (at %d)", i)
	}
	for j := i; j < i+4096; j++ {
		dev[j] ^= 0xff
	}
	e.addDevice(t, 2, dev)
	target, err := e.mount(t, 2, "c", e.options(t, nil, v))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.ReadFile(target + "/layer.txt"); err == nil {
		t.Fatal("read a corrupt block through dm-verity")
	}
}
