package roster

import (
	"errors"
	"testing"
)

// FuzzReadFile reads arbitrary bytes as an uploaded roster (CSV in UTF-8
// or Shift_JIS, or XLSX): nothing panics, and a refusal has a message.
func FuzzReadFile(f *testing.F) {
	f.Add([]byte("職員番号,氏名,所属コード\n000001,山田　太郎,1100\n"))
	f.Add(csvFile(f, "sjis", ',', lines("職員番号,氏名,所属,職名", "000002,佐藤 花子,戸籍住民課,主事")))
	f.Add(csvFile(f, "utf8bom", '\t', lines("社員番号\t氏名\t個人番号", "1\ta\t123456789012")))
	f.Add(xlsxFile(f, [][]any{{"名簿（令和8年4月1日現在）"}, {"職員番号", "氏名", "所属コード"}, {"000003", "鈴木 一郎", 1200}}))
	f.Add([]byte("PK\x03\x04broken"))
	f.Add([]byte{0xD0, 0xCF, 0x11, 0xE0})
	f.Fuzz(func(t *testing.T, b []byte) {
		tb, err := ReadFile("roster.csv", b)
		if err != nil {
			var ie *InputError
			if errors.As(err, &ie) && ie.Error() == "" {
				t.Fatal("a refusal without a message")
			}
			return
		}
		if tb == nil {
			t.Fatal("no table and no error")
		}
	})
}
