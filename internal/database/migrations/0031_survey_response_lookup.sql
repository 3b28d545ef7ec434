-- A respondent's own answers are read by (campaign, person) when the
-- acknowledgement is shown again (a double click, a return visit); without
-- this index each read scanned the campaign's every response.
CREATE INDEX survey_responses_staff ON survey_responses (campaign_id, staff_id);
