// How tests/golden/locales/ was made: moment 2.30.1's own locales format every date and format below.
//
// Run once, by hand; the tests only read the files it wrote (Python never needs Node):
//
//     npm install --prefix /tmp/moment-2.30.1 moment@2.30.1
//     TZ=UTC node scripts/make_moment_vectors.js /tmp/moment-2.30.1/node_modules/moment tests/golden/locales
//
// It writes one LOCALE.tsv per locale (date, format, what moment printed) and week-start.tsv: the
// week rule each locale gets when Obsidian's Calendar or Periodic Notes plugin sets "Start week on"
// with moment.updateLocale(locale, {week: {dow}}) (which keeps the locale's doy), and the week
// numbers that rule gives around every year's end.
"use strict";

const fs = require("fs");
const path = require("path");

const [modulePath, outDir] = process.argv.slice(2);
if (!modulePath || !outDir) {
  console.error("usage: node make_moment_vectors.js PATH/TO/node_modules/moment OUT_DIR");
  process.exit(2);
}
const moment = require(path.resolve(modulePath));
if (moment.version !== "2.30.1") {
  console.error(`want moment 2.30.1, got ${moment.version}`);
  process.exit(1);
}

const LOCALES = ["en", "en-gb", "de", "fr", "es", "it", "pt", "pt-br", "nl", "ru", "ja", "zh-cn"];
const WEEK_STARTS = ["locale", "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const WEEKDAYS = WEEK_STARTS.slice(1);

function days(first, count) {
  const start = moment.utc(first);
  return Array.from({ length: count }, (_, i) => start.clone().add(i, "days").format("YYYY-MM-DD"));
}

const MONTH_DATES = [...Array.from({ length: 12 }, (_, i) => `2026-${String(i + 1).padStart(2, "0")}-01`), "2026-03-14"];
const MONTH_FORMATS = [
  "MMMM", "MMM", "D MMMM", "MMMM YYYY", "D MMM YYYY", "MMM YYYY", "DD-MMM-YYYY", "Do MMMM", "MMMM, D",
  "[Journal]/YYYY/MMMM", "YYYY-MM-DD MMMM", "Mo", "Qo", "L", "LL", "LLL", "LLLL", "l", "ll", "lll", "llll",
];
const WEEKDAY_DATES = days("2026-03-01", 7);
const WEEKDAY_FORMATS = ["dddd", "ddd", "dd", "do", "[В] dddd", "[в прошлую] dddd", "dddd, D MMMM YYYY", "ddd, D MMM"];
const ORDINAL_DATES = days("2026-03-01", 31);
const ORDINAL_FORMATS = ["Do", "DDDo", "D. MMMM", "Do [of] MMMM"];
const TIMES = ["00:30", "05:59", "06:00", "08:59", "09:00", "11:29", "11:30", "12:29", "12:30", "16:59", "17:00", "23:59"]
  .map((time) => `2026-03-14T${time}`);
const TIME_FORMATS = ["LT", "LTS", "a", "A", "h:mm a", "LLL", "llll"];
const ERA_DATES = ["1873-01-01", "1912-07-29", "1912-07-30", "1926-12-24", "1926-12-25", "1989-01-07",
  "1989-01-08", "2019-04-30", "2019-05-01", "2020-01-01", "2026-03-14"];
const ERA_FORMATS = ["N NN NNN", "NNNN", "NNNNN", "y yy yyy yyyy", "yo"];
const YEAR_ENDS = [2019, 2020, 2021, 2022, 2025, 2026, 2027].flatMap((year) => days(`${year}-12-24`, 16));
const WEEK_START_DATES = [2020, 2021, 2026].flatMap((year) => days(`${year}-12-24`, 16));
const WEEK_FORMATS = ["gggg-[W]ww", "GGGG-[W]WW", "gggg-[W]WW", "GGGG-[W]ww", "gg w e E", "wo Wo"];

function formatRows(locale) {
  const rows = [];
  const add = (dates, formats) => {
    for (const date of dates) {
      for (const format of formats) {
        rows.push([date, format, moment(date).locale(locale).format(format)]);
      }
    }
  };
  add(MONTH_DATES, MONTH_FORMATS);
  add(WEEKDAY_DATES, WEEKDAY_FORMATS);
  add(ORDINAL_DATES, ORDINAL_FORMATS);
  add(TIMES, TIME_FORMATS);
  add(ERA_DATES, ERA_FORMATS);
  add(YEAR_ENDS, WEEK_FORMATS);
  return rows;
}

// What Calendar 1.5.10 and Periodic Notes 1.x do for "Start week on" (obsidian-calendar-ui
// localization.ts): updateLocale with only dow, or the bundled week spec back for "locale".
function weekStartRows(locale) {
  const rows = [];
  for (const weekStart of WEEK_STARTS) {
    moment.locale(locale);
    const bundled = moment.localeData()._week;
    const week = weekStart === "locale" ? bundled : { dow: WEEKDAYS.indexOf(weekStart) || 0 };
    moment.updateLocale(locale, { week });
    const { dow, doy } = moment.localeData()._week;
    for (const date of WEEK_START_DATES) {
      rows.push([locale, weekStart, dow, doy, date, moment(date).format("gggg-[W]ww"), moment(date).format("e")]);
    }
    moment.updateLocale(locale, null); // back to the bundled locale for the next option
  }
  return rows;
}

function writeTsv(file, header, rows) {
  for (const row of rows) {
    if (row.some((cell) => /[\t\n]/.test(String(cell)))) throw new Error(`cannot write ${row} as TSV`);
  }
  const text = [header, ...rows].map((row) => row.join("\t")).join("\n") + "\n";
  fs.writeFileSync(path.join(outDir, file), text, "utf8");
}

fs.mkdirSync(outDir, { recursive: true });
for (const locale of LOCALES) {
  if (moment.locale(locale) !== locale) throw new Error(`moment has no locale ${locale}`);
  writeTsv(`${locale}.tsv`, ["date", "format", "result"], formatRows(locale));
}
moment.locale("en");
writeTsv("week-start.tsv", ["locale", "week_start", "dow", "doy", "date", "gggg-[W]ww", "e"],
  LOCALES.flatMap(weekStartRows));
