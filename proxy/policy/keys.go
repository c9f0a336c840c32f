package policy

import (
	"reflect"
	"slices"
	"strings"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"gopkg.in/yaml.v3"
)

// checkKeys walks the YAML tree against the Go type it decodes into and reports the first key the
// type does not know, with the keys it does (yaml.v3's own error names a Go type instead).
func checkKeys(file string, n *yaml.Node, t reflect.Type, path string) error {
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			if err := checkKeys(file, c, t, path); err != nil {
				return err
			}
		}
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct:
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				keys := make([]string, 0, len(fields))
				for name := range fields {
					keys = append(keys, name)
				}
				slices.Sort(keys)
				where := path
				if where == "" {
					where = "(top level)"
				}
				return l10n.Errorf(l10n.Invalid, "策略文件 %s 第 %d 行：%s 下没有 %q 这一项；可用的有：%s",
					"policy %s line %d: %s has no key %q; valid keys: %s", file, k.Line, where, k.Value, strings.Join(keys, ", "))
			}
			if err := checkKeys(file, v, ft, join(path, k.Value)); err != nil {
				return err
			}
		}
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Map:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := checkKeys(file, n.Content[i+1], t.Elem(), join(path, n.Content[i].Value)); err != nil {
				return err
			}
		}
	case n.Kind == yaml.SequenceNode && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		for _, c := range n.Content {
			if err := checkKeys(file, c, t.Elem(), path+"[]"); err != nil {
				return err
			}
		}
	}
	return nil
}

// yamlFields maps the yaml key names of a struct (inline structs flattened) to their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
