package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"mamori/internal/web"
	"mamori/internal/webtest"
)

// routeRules is the expected access of every route: "public", "all" (any
// signed-in role) or the roles allowed. A route missing here fails the test,
// so a new route cannot be added without deciding who may use it.
var routeRules = map[string]string{
	"GET /static/{hash}/{name...}": "public",
	"GET /healthz":                 "public",
	"GET /livez":                   "public",
	"GET /login":                   "public",
	"POST /login":                  "public",
	"GET /login/totp":              "all",
	"POST /login/totp":             "all",
	"POST /logout":                 "all",
	"GET /{$}":                     "all",
	"GET /policy":                  "all",
	// 進捗管理 (issue 19): the runners plan, the viewer reads.
	"GET /admin/mail":                      "admin",
	"GET /admin/schedules":                 "admin",
	"POST /admin/schedules/run":            "admin",
	"POST /admin/mail/test":                "admin",
	"POST /admin/mail/settings":            "admin",
	"POST /admin/mail/settings/reset":      "admin",
	"POST /admin/mail/{id}/retry":          "admin",
	"GET /program":                         "admin consultant viewer",
	"GET /program/work-plan":               "admin consultant viewer",
	"GET /program/meetings":                "admin consultant viewer",
	"POST /program/meetings":               "admin consultant",
	"GET /program/meetings/{id}":           "admin consultant viewer",
	"POST /program/meetings/{id}":          "admin consultant",
	"POST /program/meetings/{id}/items":    "admin consultant",
	"POST /program/meetings/{id}/done":     "admin consultant",
	"GET /program/meetings/{id}/minutes":   "admin consultant viewer",
	"GET /program/advice":                  "admin consultant viewer",
	"GET /program/next-plan":               "admin consultant viewer",
	"GET /program/loans":                   "admin consultant viewer",
	"GET /program/deliverables":            "admin consultant viewer",
	"POST /program/deliverables":           "admin consultant",
	"GET /program/deliverables/file":       "admin consultant viewer",
	"POST /program/loans":                  "admin consultant",
	"POST /program/loans/{id}/close":       "admin consultant",
	"GET /program/loans/register":          "admin consultant viewer",
	"POST /program/next-plan":              "admin consultant",
	"POST /program/next-plan/copy":         "admin consultant",
	"GET /program/next-plan/document":      "admin consultant viewer",
	"POST /program/advice":                 "admin consultant",
	"POST /program/tasks":                  "admin consultant",
	"GET /program/tasks/{id}":              "admin consultant viewer",
	"POST /program/tasks/{id}":             "admin consultant",
	"POST /program/tasks/{id}/deps":        "admin consultant",
	"GET /program/month":                   "admin consultant viewer",
	"POST /program/deliverables/bind":      "admin consultant",
	"GET /program/binders/{id}":            "admin consultant viewer",
	"GET /program/shreds/{id}/certificate": "admin consultant viewer",

	"GET /account":                        "all",
	"POST /account/password":              "all",
	"POST /account/logout-all":            "all",
	"GET /account/totp":                   "all",
	"GET /account/totp/qr.png":            "all",
	"POST /account/totp":                  "all",
	"POST /account/totp/disable":          "all",
	"GET /staff":                          "admin consultant viewer auditee",
	"GET /staff/export":                   "admin consultant viewer auditee",
	"GET /staff/{id}":                     "admin consultant viewer auditee",
	"GET /staff/new":                      "admin",
	"POST /staff":                         "admin",
	"GET /staff/{id}/edit":                "admin",
	"POST /staff/{id}":                    "admin",
	"GET /admin/departments":              "admin consultant viewer auditee",
	"GET /admin/departments/export":       "admin consultant viewer auditee",
	"GET /admin/departments/new":          "admin",
	"POST /admin/departments":             "admin",
	"GET /admin/departments/{id}/edit":    "admin",
	"POST /admin/departments/{id}":        "admin",
	"GET /admin/years":                    "admin",
	"POST /admin/years":                   "admin",
	"POST /admin/years/{year}/current":    "admin",
	"GET /admin/users":                    "admin",
	"GET /admin/users/export":             "admin",
	"GET /admin/users/new":                "admin",
	"POST /admin/users":                   "admin",
	"GET /admin/users/{id}/edit":          "admin",
	"POST /admin/users/{id}":              "admin",
	"POST /admin/users/{id}/disable":      "admin",
	"POST /admin/users/{id}/enable":       "admin",
	"POST /admin/users/{id}/totp-reset":   "admin",
	"POST /admin/settings/totp":           "admin",
	"GET /admin/settings":                 "admin",
	"POST /admin/settings":                "admin",
	"GET /admin/auditlog":                 "admin",
	"GET /admin/auditlog/export":          "admin",
	"GET /staff/import":                   "admin",
	"POST /staff/import":                  "admin",
	"GET /staff/import/{id}/preview":      "admin",
	"GET /staff/import/{id}/confirm":      "admin",
	"POST /staff/import/{id}/apply":       "admin",
	"GET /jobs/{id}":                      "all",
	"GET /catalog":                        "admin consultant auditor viewer",
	"GET /catalog/frameworks/{id}":        "admin consultant auditor viewer",
	"GET /catalog/clauses/{id}":           "admin consultant auditor viewer",
	"GET /catalog/templates/{id}":         "admin consultant auditor viewer",
	"GET /catalog/templates/{id}/export":  "admin consultant auditor viewer",
	"GET /catalog/items/{id}":             "admin consultant auditor viewer",
	"GET /catalog/templates/{id}/diff":    "admin consultant auditor viewer",
	"POST /catalog/templates/{id}/copy":   "admin consultant",
	"POST /catalog/templates/{id}/freeze": "admin",
	// Policy: 相違点整合表 (brief G).
	"GET /policy/gap":                 "admin consultant auditor viewer",
	"GET /policy/gap/new":             "admin consultant",
	"POST /policy/gap":                "admin consultant",
	"GET /policy/gap/{id}":            "admin consultant auditor viewer",
	"GET /policy/gap/{id}/xlsx":       "admin consultant auditor viewer",
	"GET /policy/gap/{id}/pdf":        "admin consultant auditor viewer",
	"POST /policy/gap/{id}/bulk":      "admin consultant",
	"GET /policy/gap/{id}/import":     "admin consultant",
	"POST /policy/gap/{id}/import":    "admin consultant",
	"GET /policy/gap/rows/{id}/view":  "admin consultant auditor viewer",
	"GET /policy/gap/rows/{id}/edit":  "admin consultant",
	"POST /policy/gap/rows/{id}/edit": "admin consultant",
	// Policy documents, versions, revision drafts and their outputs (brief F).
	// Everyone else signed in reads the adopted 基本方針 only (checked per document).
	"GET /policy/style.css":                    "all",
	"GET /policy/documents/new":                "admin consultant",
	"POST /policy/documents":                   "admin consultant",
	"GET /policy/documents/{id}":               "admin consultant auditor viewer",
	"GET /policy/documents/{id}/edit":          "admin consultant",
	"POST /policy/documents/{id}":              "admin consultant",
	"POST /policy/documents/{id}/revision":     "admin consultant",
	"GET /policy/documents/{id}/import":        "admin consultant",
	"POST /policy/documents/{id}/import":       "admin consultant",
	"GET /policy/imports/{id}/preview":         "admin consultant",
	"POST /policy/imports/{id}/preview":        "admin consultant",
	"POST /policy/imports/{id}/save":           "admin consultant",
	"GET /policy/versions/{id}":                "all",
	"GET /policy/versions/{id}/export":         "all",
	"POST /policy/versions/{id}/adopt":         "admin consultant",
	"POST /policy/versions/{id}/discard":       "admin consultant",
	"GET /policy/versions/{id}/draft":          "admin consultant auditor viewer",
	"GET /policy/versions/{id}/table.css":      "admin consultant auditor viewer",
	"GET /policy/versions/{id}/change":         "admin consultant",
	"POST /policy/versions/{id}/change":        "admin consultant",
	"GET /policy/changes/{id}/edit":            "admin consultant",
	"POST /policy/changes/{id}":                "admin consultant",
	"GET /policy/versions/{id}/redline":        "admin consultant auditor viewer",
	"GET /policy/versions/{id}/table":          "admin consultant auditor viewer",
	"GET /policy/versions/{id}/briefing":       "admin consultant auditor viewer",
	"GET /policy/versions/{id}/quiz":           "admin consultant auditor viewer",
	"POST /policy/versions/{id}/quiz/generate": "admin consultant",
	"GET /policy/versions/{id}/quiz/export":    "admin consultant auditor viewer",
	"POST /policy/quiz/{id}":                   "admin consultant",
	"POST /policy/quiz/{id}/delete":            "admin consultant",
	// Catalogue: clause mappings and item editing (brief C1).
	"POST /catalog/clauses/{id}/mappings":          "admin consultant",
	"POST /catalog/mappings/{id}/delete":           "admin consultant",
	"GET /catalog/frameworks/{id}/mappings":        "admin consultant auditor viewer",
	"GET /catalog/frameworks/{id}/mappings/export": "admin consultant auditor viewer",
	"GET /catalog/items/{id}/edit":                 "admin consultant",
	"POST /catalog/items/{id}":                     "admin consultant",
	"POST /catalog/items/{id}/delete":              "admin consultant",
	"POST /catalog/items/{id}/move":                "admin consultant",
	"GET /catalog/templates/{id}/items/new":        "admin consultant",
	"POST /catalog/templates/{id}/items":           "admin consultant",
	// Catalogue: XLSX import and checklists built for an audit (brief C2).
	"GET /catalog/templates/{id}/import":                "admin consultant",
	"POST /catalog/templates/{id}/import":               "admin consultant",
	"GET /catalog/templates/{id}/import/{file}/preview": "admin consultant",
	"POST /catalog/templates/{id}/import/{file}/apply":  "admin consultant",
	"GET /catalog/build":                                "admin consultant auditor",
	"POST /catalog/build":                               "admin consultant auditor",
	"POST /catalog/build/save":                          "admin consultant auditor",
	"GET /catalog/built":                                "admin consultant auditor viewer",
	"GET /catalog/built/{id}":                           "admin consultant auditor viewer",
	"GET /catalog/built/{id}/export":                    "admin consultant auditor viewer",
	// 改善措置台帳: auditees read and update their own department sub-tree's actions (object check).
	"GET /improve":                      "admin consultant auditor viewer auditee",
	"GET /improve/export":               "admin consultant auditor viewer auditee",
	"GET /improve/document":             "admin consultant auditor viewer auditee",
	"GET /improve/new":                  "admin consultant",
	"POST /improve":                     "admin consultant",
	"GET /improve/{id}":                 "admin consultant auditor viewer auditee",
	"GET /improve/{id}/edit":            "admin consultant",
	"POST /improve/{id}":                "admin consultant",
	"POST /improve/{id}/status":         "admin consultant auditee",
	"POST /improve/{id}/verify":         "admin consultant",
	"POST /improve/{id}/evidence":       "admin consultant auditee",
	"GET /improve/{id}/evidence/{file}": "admin consultant auditor viewer auditee",
	// 監査: the year's programme (issue 11, H1). Auditors and auditees see their own engagements (object check).
	// 自己点検 (issue 12): everyone may have a questionnaire to answer (the object check: an invitation);
	// a personal link answers without an account; campaigns for the managers and, read-only, for the 所属長
	// (their sub-tree); questions for the managers; results for the managers and the viewer.
	"GET /learning":                                           "all",
	"GET /learning/my/{id}":                                   "all",
	"GET /learning/my/{id}/lessons/{lesson}":                  "all",
	"POST /learning/my/{id}/lessons/{lesson}":                 "all",
	"GET /learning/my/{id}/text":                              "all",
	"GET /learning/my/{id}/lessons/{lesson}/video":            "all",
	"POST /learning/my/{id}/lessons/{lesson}/position":        "all",
	"POST /learning/my/{id}/test":                             "all",
	"GET /learning/my/{id}/test/{attempt}":                    "all",
	"POST /learning/my/{id}/test/{attempt}":                   "all",
	"GET /learning/my/{id}/certificate":                       "all",
	"GET /incident":                                           "all",
	"GET /incident/report":                                    "all",
	"POST /incident/report":                                   "all",
	"GET /incident-reports":                                   "admin consultant",
	"GET /incident-reports/{id}":                              "admin consultant",
	"POST /incident-reports/{id}":                             "admin consultant",
	"GET /incident/new":                                       "admin consultant",
	"POST /incident":                                          "admin consultant",
	"GET /incident/{id}":                                      "admin consultant viewer auditee",
	"GET /incident/{id}/edit":                                 "admin consultant",
	"POST /incident/{id}":                                     "admin consultant",
	"POST /incident/{id}/parties":                             "admin consultant",
	"POST /incident/{id}/events":                              "admin consultant",
	"POST /incident/{id}/notices":                             "admin consultant",
	"POST /incident/{id}/reopen":                              "admin",
	"POST /incident/{id}/whys":                                "admin consultant",
	"POST /incident/{id}/measures":                            "admin consultant",
	"POST /incident/{id}/visits":                              "admin consultant",
	"POST /incident/{id}/evidence":                            "admin consultant",
	"POST /incident/{id}/evidence/{evidence}/custody":         "admin consultant",
	"GET /incident/{id}/evidence/{evidence}":                  "admin consultant viewer auditee",
	"GET /incident/{id}/report":                               "admin consultant viewer auditee",
	"GET /incident/{id}/commission":                           "admin consultant",
	"GET /incident/{id}/press":                                "admin consultant",
	"GET /incident/annual":                                    "admin consultant viewer",
	"POST /incident/{id}/services":                            "admin consultant",
	"POST /incident/{id}/tasks":                               "admin consultant",
	"POST /incident/{id}/tasks/{task}/done":                   "admin consultant",
	"POST /incident/{id}/whys/remove":                         "admin consultant",
	"POST /incident/{id}/measures/withdraw":                   "admin consultant",
	"POST /incident/{id}/events/remove":                       "admin consultant",
	"GET /drill":                                              "admin consultant viewer auditee",
	"GET /drill/plan":                                         "admin consultant viewer auditee",
	"POST /drill/plan":                                        "admin consultant",
	"POST /drill/plan/cells":                                  "admin consultant",
	"GET /drill/services":                                     "admin consultant viewer auditee",
	"POST /drill/services":                                    "admin consultant",
	"GET /drill/scenarios":                                    "admin consultant",
	"GET /drill/scenarios/new":                                "admin consultant",
	"POST /drill/scenarios":                                   "admin consultant",
	"GET /drill/scenarios/{id}":                               "admin consultant",
	"GET /drill/scenarios/{id}/edit":                          "admin consultant",
	"POST /drill/scenarios/{id}":                              "admin consultant",
	"GET /drill/new":                                          "admin consultant",
	"POST /drill":                                             "admin consultant",
	"GET /drills/{id}":                                        "admin consultant viewer auditee",
	"POST /drills/{id}":                                       "admin consultant",
	"POST /drills/{id}/teams":                                 "admin consultant",
	"POST /drills/{id}/participants":                          "admin consultant",
	"POST /drills/{id}/links":                                 "admin consultant",
	"GET /drills/{id}/console":                                "admin consultant",
	"GET /drills/{id}/pulse":                                  "admin consultant",
	"POST /drills/{id}/start":                                 "admin consultant",
	"POST /drills/{id}/pause":                                 "admin consultant",
	"POST /drills/{id}/resume":                                "admin consultant",
	"POST /drills/{id}/end":                                   "admin consultant",
	"POST /drills/{id}/injects/{inject}/release":              "admin consultant",
	"POST /drills/{id}/observations":                          "admin consultant",
	"GET /drills/{id}/evaluation":                             "admin consultant",
	"POST /drills/{id}/ratings":                               "admin consultant",
	"POST /drills/{id}/summary":                               "admin consultant",
	"POST /drills/{id}/improvements":                          "admin consultant",
	"GET /drill/play/{token}":                                 "public",
	"GET /drill/play/{token}/pulse":                           "public",
	"POST /drill/play/{token}/responses":                      "public",
	"POST /drill/play/{token}/observations":                   "public",
	"POST /drill/play/{token}/feedback":                       "public",
	"GET /drill/play/{token}/handbook":                        "public",
	"GET /drills/{id}/plan":                                   "admin consultant viewer auditee",
	"GET /drills/{id}/material":                               "admin consultant viewer auditee",
	"GET /drills/{id}/controller":                             "admin consultant",
	"GET /drills/{id}/report":                                 "admin consultant viewer auditee",
	"GET /drill/plan/document":                                "admin consultant viewer",
	"GET /drill/annual":                                       "admin consultant viewer",
	"GET /vendor":                                             "admin consultant viewer auditee",
	"GET /vendor/new":                                         "admin consultant auditee",
	"POST /vendor":                                            "admin consultant auditee",
	"GET /vendor/{id}":                                        "admin consultant viewer auditee",
	"POST /vendor/{id}/build":                                 "admin consultant",
	"POST /vendor/{id}/links":                                 "admin consultant",
	"POST /vendor/{id}/links/revoke":                          "admin consultant",
	"POST /vendor/{id}/review":                                "admin consultant",
	"POST /vendor/{id}/return":                                "admin consultant",
	"POST /vendor/{id}/decide":                                "admin consultant",
	"POST /vendor/{id}/conditions":                            "admin consultant",
	"POST /vendor/{id}/rereview":                              "admin consultant",
	"GET /vendor/{id}/workbook":                               "admin consultant",
	"POST /vendor/{id}/import":                                "admin consultant",
	"POST /vendor/{id}/import/apply":                          "admin consultant",
	"GET /vendor/{id}/evidence/{evidence}":                    "admin consultant viewer auditee",
	"GET /vendor-answer/{token}":                              "public",
	"POST /vendor-answer/{token}":                             "public",
	"POST /vendor-answer/{token}/evidence":                    "public",
	"GET /vendor/{id}/result":                                 "admin consultant viewer auditee",
	"GET /vendor/{id}/questionnaire":                          "admin consultant viewer auditee",
	"GET /vendor/register":                                    "admin consultant viewer",
	"GET /scan":                                               "admin consultant auditor",
	"GET /scan/{id}":                                          "admin consultant auditor",
	"POST /scan/{id}/plan":                                    "admin consultant auditor",
	"POST /scan/{id}/abort":                                   "admin consultant auditor",
	"POST /scan/{id}/import":                                  "admin consultant auditor",
	"POST /scan/{id}/import/apply":                            "admin consultant auditor",
	"POST /scan/{id}/check":                                   "admin consultant auditor",
	"GET /scan/{id}/findings/{finding}":                       "admin consultant auditor",
	"POST /scan/{id}/findings/{finding}":                      "admin consultant auditor",
	"POST /scan/{id}/findings/{finding}/propose":              "admin consultant auditor",
	"GET /scan/{id}/plan-document":                            "admin consultant auditor",
	"GET /scan/{id}/report":                                   "admin consultant auditor",
	"GET /learning/my/{id}/scorm":                             "all",
	"POST /learning/my/{id}/scorm":                            "all",
	"GET /learning/scorm/{id}/{name...}":                      "all",
	"POST /learning/courses/scorm":                            "admin consultant",
	"GET /learning/courses/{id}/lessons/{lesson}/edit":        "admin consultant",
	"POST /learning/courses/{id}/lessons/{lesson}/edit":       "admin consultant",
	"POST /learning/courses/{id}/questions/{question}/revise": "admin consultant",
	"GET /learning/courses/{id}/scorm":                        "admin consultant",
	"GET /learning/courses":                                   "admin consultant",
	"POST /learning/courses/import":                           "admin consultant",
	"GET /learning/courses/{id}":                              "admin consultant",
	"GET /learning/courses/{id}/text":                         "admin consultant",
	"POST /learning/courses/{id}/copy":                        "admin consultant",
	"GET /learning/courses/{id}/lessons/{lesson}":             "admin consultant",
	"GET /learning/courses/{id}/lessons/{lesson}/video":       "admin consultant",
	"POST /learning/courses/{id}/lessons/{lesson}/video":      "admin consultant",
	"GET /learning/courses/{id}/questions/{question}":         "admin consultant",
	"POST /learning/courses/{id}/questions/{question}":        "admin consultant",
	"GET /learning/campaigns":                                 "admin consultant auditee viewer",
	"GET /learning/campaigns/new":                             "admin consultant",
	"POST /learning/campaigns":                                "admin consultant",
	"GET /learning/campaigns/{id}":                            "admin consultant auditee viewer",
	"GET /learning/campaigns/{id}/completion":                 "admin consultant auditee viewer",
	"GET /learning/campaigns/{id}/digest":                     "admin consultant auditee viewer",
	"GET /learning/practice":                                  "admin consultant auditor",
	"POST /learning/practice":                                 "admin consultant auditor",
	"GET /learning/practice/results/{id}":                     "admin consultant auditor",
	"POST /learning/campaigns/{id}/remind":                    "admin consultant auditee",
	"GET /selfcheck":                                          "all",
	"GET /selfcheck/answer/{id}":                              "all",
	"POST /selfcheck/answer/{id}":                             "all",
	"GET /selfcheck/r/{token}":                                "public",
	"POST /selfcheck/r/{token}":                               "public",
	"GET /selfcheck/campaigns":                                "admin consultant auditee",
	"GET /selfcheck/campaigns/export":                         "admin consultant auditee",
	"GET /selfcheck/campaigns/{id}":                           "admin consultant auditee",
	"GET /selfcheck/campaigns/new":                            "admin consultant",
	"POST /selfcheck/campaigns":                               "admin consultant",
	"GET /selfcheck/campaigns/{id}/edit":                      "admin consultant",
	"POST /selfcheck/campaigns/{id}":                          "admin consultant",
	"POST /selfcheck/campaigns/{id}/open":                     "admin consultant",
	"POST /selfcheck/campaigns/{id}/close":                    "admin consultant",
	"GET /selfcheck/campaigns/{id}/pending":                   "admin consultant",
	"POST /selfcheck/campaigns/{id}/remind":                   "admin consultant",
	"POST /selfcheck/campaigns/{id}/links":                    "admin consultant",
	"GET /selfcheck/campaigns/{id}/import":                    "admin consultant",
	"GET /selfcheck/campaigns/{id}/import/sheet.xlsx":         "admin consultant",
	"POST /selfcheck/campaigns/{id}/import":                   "admin consultant",
	"GET /selfcheck/campaigns/{id}/import/{file}":             "admin consultant",
	"POST /selfcheck/campaigns/{id}/import/{file}":            "admin consultant",
	"GET /selfcheck/questions":                                "admin consultant",
	"GET /selfcheck/questions/export":                         "admin consultant",
	"GET /selfcheck/questions/questionnaire":                  "admin consultant",
	"GET /selfcheck/questions/preview":                        "admin consultant",
	"POST /selfcheck/questions/copy":                          "admin consultant",
	"POST /selfcheck/questions/import":                        "admin consultant",
	"GET /selfcheck/questions/new":                            "admin consultant",
	"POST /selfcheck/questions/new":                           "admin consultant",
	"GET /selfcheck/questions/{id}":                           "admin consultant",
	"POST /selfcheck/questions/{id}":                          "admin consultant",
	"GET /selfcheck/results/{id}/answers.xlsx":                "admin consultant",
	"GET /selfcheck/results/{id}/answers.csv":                 "admin consultant",
	"POST /selfcheck/results/{id}/register":                   "admin consultant",
	"GET /selfcheck/results":                                  "admin consultant viewer",
	"GET /selfcheck/results/{id}":                             "admin consultant viewer",
	"GET /selfcheck/results/{id}/report.pdf":                  "admin consultant viewer",
	"GET /selfcheck/results/{id}/report.docx":                 "admin consultant viewer",
	"GET /selfcheck/results/{id}/briefing.pdf":                "admin consultant viewer",
	// The year's picture (issue 13): the dashboard and the 内部監査全体報告書 for the managers and the CISO (viewer);
	// the library of response examples for the managers; an external audit's results material like its report.
	"GET /audit/dashboard":                   "admin consultant viewer",
	"GET /audit/dashboard/findings":          "admin consultant viewer",
	"GET /audit/examples":                    "admin consultant",
	"GET /audit/examples/new":                "admin consultant",
	"POST /audit/examples/new":               "admin consultant",
	"GET /audit/examples/edit/{ex}":          "admin consultant",
	"POST /audit/examples/edit/{ex}":         "admin consultant",
	"POST /audit/examples/active/{ex}":       "admin consultant",
	"GET /audit/summary":                     "admin consultant viewer",
	"POST /audit/summary":                    "admin consultant",
	"GET /audit/summary/document":            "admin consultant viewer",
	"GET /audit/summary/issues":              "admin consultant viewer",
	"GET /audit/{id}/material":               "admin consultant auditor viewer auditee",
	"GET /audit/{id}/material/document.pdf":  "admin consultant auditor viewer auditee",
	"GET /audit/{id}/material/document.docx": "admin consultant auditor viewer auditee",
	"POST /audit/{id}/material":              "admin consultant auditor",
	"GET /audit":                             "admin consultant auditor viewer auditee",
	"GET /audit/export":                      "admin consultant auditor viewer auditee",
	"GET /audit/calendar":                    "admin consultant auditor viewer auditee",
	"GET /audit/programme.css":               "admin consultant auditor viewer auditee",
	"GET /audit/new":                         "admin consultant",
	"POST /audit":                            "admin consultant",
	"GET /audit/copy-year":                   "admin consultant",
	"POST /audit/copy-year":                  "admin consultant",
	"GET /audit/{id}":                        "admin consultant auditor viewer auditee",
	"GET /audit/{id}/edit":                   "admin consultant",
	"POST /audit/{id}":                       "admin consultant",
	"POST /audit/{id}/phase":                 "admin consultant auditor",
	// 監査報告書 (issue 11, H6): the team writes and reviews drafts (object check + Access.Audit); the lead or a
	// manager finalises and reopens; the auditee (own department) and the viewer read final versions only.
	"GET /audit/{id}/report":                       "admin consultant auditor viewer auditee",
	"POST /audit/{id}/report":                      "admin consultant auditor",
	"POST /audit/{id}/report/comments":             "admin consultant auditor",
	"POST /audit/{id}/report/comments/{c}/resolve": "admin consultant auditor",
	"POST /audit/{id}/report/state":                "admin consultant auditor",
	"GET /audit/{id}/report/document.pdf":          "admin consultant auditor viewer auditee",
	"GET /audit/{id}/report/document.docx":         "admin consultant auditor viewer auditee",
	"GET /audit/{id}/report/findings.xlsx":         "admin consultant auditor viewer auditee",
	"GET /audit/{id}/report/meeting.pdf":           "admin consultant auditor viewer auditee",
	// 監査計画・文書・チェックリスト (issue 11, H2): the plan is read by the team and the viewer and written by the
	// team; documents by Access per document (plan: team and viewer; notice and briefing: team and the auditee's own
	// department; checklist: team); the checklist tab is the team's (object check + Access.Audit).
	"GET /audit/{id}/plan":                      "admin consultant auditor viewer",
	"POST /audit/{id}/plan":                     "admin consultant auditor",
	"GET /audit/{id}/plan/history":              "admin consultant auditor viewer",
	"GET /audit/{id}/documents/{name...}":       "admin consultant auditor viewer auditee",
	"GET /audit/{id}/checklist":                 "admin consultant auditor",
	"POST /audit/{id}/checklist/add":            "admin consultant auditor",
	"GET /audit/{id}/checklist/{item}/drop":     "admin consultant auditor",
	"POST /audit/{id}/checklist/{item}/drop":    "admin consultant auditor",
	"GET /audit/{id}/checklist/{item}/restore":  "admin consultant auditor",
	"POST /audit/{id}/checklist/{item}/restore": "admin consultant auditor",
	"GET /audit/{id}/checklist/upgrade":         "admin consultant auditor",
	"POST /audit/{id}/checklist/upgrade":        "admin consultant auditor",
	// 監査: witnessing, findings and follow-up (issue 11, H5). The witness record is the consultant's (auditors read it
	// after the report is final; auditees and viewers never); auditees see their department's findings from the
	// report's review on and write comments and improvement plans; the viewer reads the findings and follow-up of
	// issued reports (final, or a final version kept while the next is drafted).
	"GET /audit/{id}/witness":                "admin consultant auditor",
	"POST /audit/{id}/witness":               "admin consultant",
	"GET /audit/{id}/witness/document":       "admin consultant auditor",
	"GET /audit/witness":                     "admin consultant",
	"GET /audit/witness/document":            "admin consultant",
	"GET /audit/{id}/findings":               "admin consultant auditor viewer auditee",
	"GET /audit/{id}/findings/new":           "admin consultant auditor",
	"POST /audit/{id}/findings":              "admin consultant auditor",
	"GET /audit/{id}/findings/{f}":           "admin consultant auditor viewer auditee",
	"POST /audit/{id}/findings/{f}":          "admin consultant auditor",
	"POST /audit/{id}/findings/{f}/delete":   "admin consultant auditor",
	"POST /audit/{id}/findings/{f}/comment":  "admin consultant auditee",
	"POST /audit/{id}/findings/{f}/plan":     "admin consultant auditee",
	"POST /audit/{id}/findings/{f}/followup": "admin consultant auditor",
	"GET /audit/{id}/followup":               "admin consultant auditor viewer auditee",
	"GET /audit/{id}/followup/document":      "admin consultant auditor viewer auditee",
	"GET /audit/followup":                    "admin consultant viewer",
	"GET /audit/followup/document":           "admin consultant viewer",
	// 事前調査票・提出資料・証跡 (issue 11, H3): the auditee of the engagement answers, imports and uploads; the team
	// reads, returns or closes the questionnaire, marks 重点確認 and keeps the list of requested documents (object
	// checks + Access.Audit / Access.Auditee); evidence is read by the team and by the auditee for their own documents.
	"GET /audit/{id}/presurvey":               "admin consultant auditor auditee",
	"POST /audit/{id}/presurvey":              "admin consultant auditor auditee",
	"POST /audit/{id}/presurvey/state":        "admin consultant auditor",
	"POST /audit/{id}/presurvey/due":          "admin consultant auditor",
	"POST /audit/{id}/presurvey/focus":        "admin consultant auditor",
	"GET /audit/{id}/presurvey/export.xlsx":   "admin consultant auditor auditee",
	"POST /audit/{id}/presurvey/import":       "admin consultant auditor auditee",
	"POST /audit/{id}/presurvey/import/apply": "admin consultant auditor auditee",
	"GET /audit/{id}/presurvey/document.pdf":  "admin consultant auditor auditee",
	"GET /audit/{id}/presurvey/document.docx": "admin consultant auditor auditee",
	"GET /audit/{id}/requests":                "admin consultant auditor auditee",
	"POST /audit/{id}/requests":               "admin consultant auditor",
	"GET /audit/{id}/requests/propose":        "admin consultant auditor",
	"POST /audit/{id}/requests/propose":       "admin consultant auditor",
	"GET /audit/{id}/requests/{req}/edit":     "admin consultant auditor",
	"POST /audit/{id}/requests/{req}":         "admin consultant auditor",
	"POST /audit/{id}/requests/{req}/delete":  "admin consultant auditor",
	"POST /audit/{id}/requests/{req}/files":   "admin consultant auditor auditee",
	"GET /audit/{id}/evidence/{ev}":           "admin consultant auditor auditee",
	// 実地監査 (issue 11, H4): the team records judgements, notes, evidence and interviews; the rule admits every role
	// with engagement pages, the handlers need Access.Audit (an auditee gets 404, never a judgement); the script and
	// style sheet of those pages are the auditing roles'.
	"GET /audit/fieldwork.js":                 "admin consultant auditor",
	"GET /audit/fieldwork.css":                "admin consultant auditor",
	"GET /audit/{id}/fieldwork":               "admin consultant auditor auditee",
	"POST /audit/{id}/fieldwork/na":           "admin consultant auditor auditee",
	"POST /audit/{id}/fieldwork/prev":         "admin consultant auditor auditee",
	"GET /audit/{id}/items/{item}":            "admin consultant auditor auditee",
	"POST /audit/{id}/items/{item}":           "admin consultant auditor auditee",
	"POST /audit/{id}/items/{item}/evidence":  "admin consultant auditor auditee",
	"GET /audit/{id}/quality":                 "admin consultant auditor auditee",
	"GET /audit/{id}/interviews":              "admin consultant auditor auditee",
	"POST /audit/{id}/interviews":             "admin consultant auditor auditee",
	"GET /audit/{id}/interviews/{iv}":         "admin consultant auditor auditee",
	"POST /audit/{id}/interviews/{iv}":        "admin consultant auditor auditee",
	"POST /audit/{id}/interviews/{iv}/delete": "admin consultant auditor auditee",
}

// concrete turns a pattern into a path: ids that do not exist, so allowed
// requests end in 404 or 400 instead of changing data.
func concrete(p string) string {
	r := strings.NewReplacer("{id}", "999999", "{year}", "1999", "{hash}", "0", "{name...}", "style.css", "{$}", "", "{job}", "999999")
	return r.Replace(p)
}

func TestRouteRoleMatrix(t *testing.T) {
	ta := webtest.Start(t, webtest.Options{Demo: true})
	routes := ta.Router.Routes()
	checks := 0
	seen := map[string]bool{}
	for _, rt := range routes {
		seen[rt.Pattern] = true
		rule, ok := routeRules[rt.Pattern]
		if !ok {
			t.Errorf("route %q has no expectation in routeRules: decide who may use it", rt.Pattern)
			continue
		}
		method, pattern, _ := strings.Cut(rt.Pattern, " ")
		path := concrete(pattern)
		allowed := map[string]bool{}
		for _, r := range strings.Fields(rule) {
			allowed[r] = true
		}
		// Anonymous visitor.
		c := ta.Anonymous()
		anonToken := ""
		if method != "GET" && rule == "public" {
			anonToken = c.CSRF()
		}
		resp := send(c, method, path, anonToken)
		checks++
		switch {
		case rule == "public":
			if resp.StatusCode == http.StatusForbidden {
				t.Errorf("%s anonymous: %d, want public", rt.Pattern, resp.StatusCode)
			}
		case method == "GET":
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
				t.Errorf("%s anonymous: %d %s, want redirect to /login", rt.Pattern, resp.StatusCode, resp.Header.Get("Location"))
			}
		default:
			if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s anonymous: %d, want 401", rt.Pattern, resp.StatusCode)
			}
		}
		for _, role := range web.AllRoles {
			c := ta.As(string(role))
			token := ""
			if method != "GET" {
				token = c.CSRF()
			}
			resp := send(c, method, path, token)
			checks++
			want := rule == "public" || rule == "all" || allowed[string(role)]
			denied := resp.StatusCode == http.StatusForbidden ||
				(rule != "public" && resp.StatusCode == http.StatusUnauthorized) ||
				(resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/login?next="))
			if want && denied {
				t.Errorf("%s as %s: %d, want allowed", rt.Pattern, role, resp.StatusCode)
			}
			if !want && resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s as %s: %d, want 403", rt.Pattern, role, resp.StatusCode)
			}
		}
	}
	for p := range routeRules {
		if !seen[p] {
			t.Errorf("routeRules names %q but no such route is registered", p)
		}
	}
	t.Logf("route×role matrix: %d routes × %d roles (+ anonymous) = %d checks", len(routes), len(web.AllRoles), checks)
	// Denials are audited.
	if ta.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'access.denied'") == 0 {
		t.Fatal("no access.denied entries recorded")
	}
}

// send makes one request of the matrix with the given CSRF token.
func send(c *webtest.Client, method, path, token string) *webtest.Response {
	var req *http.Request
	if method == http.MethodGet {
		req, _ = http.NewRequest(method, c.Base+path, nil)
	} else {
		req, _ = http.NewRequest(method, c.Base+path, strings.NewReader(url.Values{"csrf_token": {token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return c.Do(req)
}
