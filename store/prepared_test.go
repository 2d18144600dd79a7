package store

import "testing"

func TestCountRowsCountsRowsNotIDs(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT COUNT(`cases`.`id`) FROM `cases` WHERE `cases`.`status` = ?": "SELECT COUNT(*) FROM `cases` WHERE `cases`.`status` = ?",
		"SELECT COUNT(`cases`.`id`) FROM `cases`":                            "SELECT COUNT(*) FROM `cases`",
		// Not a count of that table's own ids: left as it is.
		"SELECT COUNT(`t1`.`id`) FROM `cases` JOIN `contacts` AS `t1`": "SELECT COUNT(`t1`.`id`) FROM `cases` JOIN `contacts` AS `t1`",
		"SELECT COUNT(DISTINCT `cases`.`id`) FROM `cases`":             "SELECT COUNT(DISTINCT `cases`.`id`) FROM `cases`",
		"SELECT COUNT(`cases`.`number`) FROM `cases`":                  "SELECT COUNT(`cases`.`number`) FROM `cases`",
		"SELECT `cases`.`id` FROM `cases`":                             "SELECT `cases`.`id` FROM `cases`",
	} {
		if got := countRows(in); got != want {
			t.Errorf("countRows(%q) = %q, want %q", in, got, want)
		}
	}
}
