"""Small plans for tests."""

MINIMAL = """\
version: 1
meta:
  title: Test plan
  unit: Test BCU
  source: none
  period: {start: 2020-04-01, end: 2021-03-31, as_written: "2020-2021"}
  timezone: Europe/London
  quarters: {first_month: 1}
  office_hours: {days: [mon, tue, wed, thu, fri], start: "08:00", end: "18:00", as_written: office hours}
roles:
  - id: sergeant
    name: Ward Sergeant
    aliases: [Sgt]
audiences:
  - id: panel
    name: Ward Panel
    aliases: [WP]
channels:
  - id: meeting
    name: Meeting
activities:
  - id: panel-meeting
    row: panel
    audience: panel
    owner: {role: sergeant, as_written: Sergeant}
    what: {text: Updates, as_written: Updates}
    channels:
      - {channel: meeting}
    how_as_written: Meeting
    frequency:
      kind: quarterly
      as_written: Quarterly
    why: Trust
"""
