package marking

import (
	"errors"
	"io/fs"
	"os"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/store"
	"github.com/sluice-dlp/sluice/watermark"
)

// LoadKey reads the mark key at path, creating it only while db holds no marks: a new key would make
// every earlier mark untraceable, so a missing key on a database with marks is refused with the fix.
func LoadKey(path string, db *store.DB) ([]byte, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if has, err := db.HasMarks(); err != nil || has {
			return nil, l10n.Errorf(l10n.Unavailable,
				"水印密钥 %[1]s 不存在，但此数据库已有水印记录；新密钥会使已有水印都无法追溯。请从备份恢复 %[1]s",
				"the mark key %[1]s does not exist, but this database holds marks; a new key would make every earlier mark untraceable. Restore %[1]s from backup",
				path)
		}
	} else if err == nil && st.Mode().Perm()&0o077 != 0 {
		return nil, l10n.Errorf(l10n.Invalid, "水印密钥 %[1]s 可被其他用户读取（权限 %[2]v）；请运行：chmod 600 %[1]s",
			"the mark key %[1]s is readable by group or others (mode %[2]v); run: chmod 600 %[1]s", path, st.Mode().Perm())
	}
	key, err := watermark.LoadOrCreateKey(path)
	if err != nil {
		return nil, l10n.Wrap(err, l10n.Unavailable, "无法读取或创建水印密钥 %s；请检查数据目录的权限，或从备份恢复该文件",
			"cannot read or create the mark key %s; check the data directory's permissions, or restore the file from backup", path)
	}
	return key, nil
}
