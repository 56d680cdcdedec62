package s3sync

import (
	"os"
	"syscall"
)

func identify(info os.FileInfo) fileID {
	id := fileID{Size: info.Size(), MTime: info.ModTime().UnixNano()}
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		id.CTime, id.Inode = st.Ctim.Nano(), st.Ino
	}
	return id
}
