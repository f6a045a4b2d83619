"""moment 2.30.1's locales, for the languages Obsidian users name their notes in.

Each locale is moment's own data (month and weekday names, ordinals, long-date formats, meridiem,
eras, week rule), copied from `moment/locale/*.js` and checked against vectors moment printed
(`tests/golden/locales/`, made by `scripts/make_moment_vectors.js`). Where moment picks a word by the
format around it (Russian genitive months after a day, Dutch and Spanish short months without their
dot between dashes), the same test decides here, on the whole format, as moment does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date

import msgspec

from vaultledger.errors import ConfigError

# (index, the whole format) -> the word; the format matters only to the locales that decline.
Words = Callable[[int, str], str]
Ordinal = Callable[[int, str], str]
Meridiem = Callable[[int, int, bool], str]

# moment's MONTHS_IN_FORMAT: a day number before the month name asks for the genitive.
_MONTHS_IN_FORMAT = re.compile(r"D[oD]?(\[[^\[\]]*\]|\s)+MMMM?")


class Era(msgspec.Struct, frozen=True):
    """One era of a locale's calendar (moment's `eras`): `until` None is open-ended."""

    since: date
    until: date | None
    offset: int
    name: str
    narrow: str
    abbr: str

    def holds(self, day: date) -> bool:
        return self.since <= day and (self.until is None or day <= self.until)


def _english_meridiem(hour: int, minute: int, lower: bool) -> str:
    return ("pm" if lower else "PM") if hour > 11 else ("am" if lower else "AM")


class MomentLocale(msgspec.Struct, frozen=True, eq=False):  # compared and hashed by identity: one per locale
    """What one moment locale prints: names, ordinals, long-date formats, meridiem, eras, weeks."""

    name: str
    months: Words
    months_short: Words
    weekdays: Words
    weekdays_short: Words
    weekdays_min: Words
    ordinal: Ordinal
    long_dates: Mapping[str, str]
    dow: int
    doy: int
    meridiem: Meridiem = _english_meridiem
    eras: tuple[Era, ...] = ()

    def long_date(self, key: str) -> str | None:
        """moment's longDateFormat: `l`…`llll` default to `L`…`LLLL` with shorter names and numbers."""
        chosen = self.long_dates.get(key)
        upper = self.long_dates.get(key.upper())
        if chosen or not upper:
            return chosen
        return re.sub(r"MMMM|MM|DD|dddd", lambda match: match[0][1:], upper)

    def era_of(self, day: date) -> Era | None:
        return next((era for era in self.eras or _EN_ERAS if era.holds(day)), None)


def _words(text: str) -> Words:
    names = tuple(text.split("_"))
    return lambda index, fmt: names[index]


def _by_format(format_text: str, standalone_text: str, is_format: re.Pattern[str] = _MONTHS_IN_FORMAT) -> Words:
    """Declined names: the `format` form where the pattern finds it in the format, else the standalone."""
    formatted, standalone = _words(format_text), _words(standalone_text)
    return lambda index, fmt: (formatted if is_format.search(fmt) else standalone)(index, fmt)


def _dotted_unless_dashed(dotted_text: str, plain_text: str) -> Words:
    """nl/es short months: "mrt." but "-mrt-" between dashes (moment tests the format for `-MMM-`)."""
    dotted, plain = _words(dotted_text), _words(plain_text)
    return lambda index, fmt: (plain if "-MMM-" in fmt else dotted)(index, fmt)


def english_ordinal(number: int, period: str = "") -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st."""
    if (number % 100) // 10 == 1:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th')}"


def _suffix(suffix: str) -> Ordinal:
    return lambda number, period: f"{number}{suffix}"


def _french_ordinal(number: int, period: str) -> str:
    if period == "D":
        return f"{number}er" if number == 1 else str(number)
    if period in ("w", "W"):
        return f"{number}{'re' if number == 1 else 'e'}"
    return f"{number}{'er' if number == 1 else 'e'}"


def _dutch_ordinal(number: int, period: str) -> str:
    return f"{number}{'ste' if number in (1, 8) or number >= 20 else 'de'}"


def _by_period(suffixes: Mapping[str, str], year: Callable[[int], str] | None = None) -> Ordinal:
    def ordinal(number: int, period: str) -> str:
        if period == "y" and year is not None:
            return year(number)
        return f"{number}{suffixes.get(period, '')}"

    return ordinal


def _russian_meridiem(hour: int, minute: int, lower: bool) -> str:
    return "ночи" if hour < 4 else "утра" if hour < 12 else "дня" if hour < 17 else "вечера"


def _japanese_meridiem(hour: int, minute: int, lower: bool) -> str:
    return "午前" if hour < 12 else "午後"


def _chinese_meridiem(hour: int, minute: int, lower: bool) -> str:
    clock = hour * 100 + minute
    for before, word in ((600, "凌晨"), (900, "早上"), (1130, "上午"), (1230, "中午"), (1800, "下午")):
        if clock < before:
            return word
    return "晚上"


_EN_ERAS = (Era(date(1, 1, 1), None, 1, "Anno Domini", "AD", "AD"),)
_JA_ERAS = (
    Era(date(2019, 5, 1), None, 1, "令和", "㋿", "R"),
    Era(date(1989, 1, 8), date(2019, 4, 30), 1, "平成", "㍻", "H"),
    Era(date(1926, 12, 25), date(1989, 1, 7), 1, "昭和", "㍼", "S"),
    Era(date(1912, 7, 30), date(1926, 12, 24), 1, "大正", "㍽", "T"),
    Era(date(1873, 1, 1), date(1912, 7, 29), 6, "明治", "㍾", "M"),
    Era(date(1, 1, 1), date(1873, 12, 31), 1, "西暦", "AD", "AD"),
)

_EN_MONTHS = "January_February_March_April_May_June_July_August_September_October_November_December"
_EN_WEEKDAYS = "Sunday_Monday_Tuesday_Wednesday_Thursday_Friday_Saturday"
_EN_LONG = {"LTS": "h:mm:ss A", "LT": "h:mm A", "L": "MM/DD/YYYY", "LL": "MMMM D, YYYY",
            "LLL": "MMMM D, YYYY h:mm A", "LLLL": "dddd, MMMM D, YYYY h:mm A"}


def _long(numeric: str, named: str, with_weekday: str, time: str = "HH:mm", **exceptions: str) -> dict[str, str]:
    """A locale's long-date formats (L, LL, LLLL's date part; LT), where LLL and LLLL add the time."""
    formats = {"LT": time, "LTS": f"{time}:ss", "L": numeric, "LL": named, "LLL": f"{named} {time}",
               "LLLL": f"{with_weekday} {time}"}
    return {**formats, **exceptions}


_PT_MONTHS = "janeiro_fevereiro_março_abril_maio_junho_julho_agosto_setembro_outubro_novembro_dezembro"

LOCALES: dict[str, MomentLocale] = {
    locale.name: locale
    for locale in (
        MomentLocale("en", _words(_EN_MONTHS), _words("Jan_Feb_Mar_Apr_May_Jun_Jul_Aug_Sep_Oct_Nov_Dec"),
                     _words(_EN_WEEKDAYS), _words("Sun_Mon_Tue_Wed_Thu_Fri_Sat"), _words("Su_Mo_Tu_We_Th_Fr_Sa"),
                     english_ordinal, _EN_LONG, dow=0, doy=6),
        MomentLocale("en-gb", _words(_EN_MONTHS), _words("Jan_Feb_Mar_Apr_May_Jun_Jul_Aug_Sep_Oct_Nov_Dec"),
                     _words(_EN_WEEKDAYS), _words("Sun_Mon_Tue_Wed_Thu_Fri_Sat"), _words("Su_Mo_Tu_We_Th_Fr_Sa"),
                     english_ordinal, _long("DD/MM/YYYY", "D MMMM YYYY", "dddd, D MMMM YYYY"), dow=1, doy=4),
        MomentLocale("de", _words("Januar_Februar_März_April_Mai_Juni_Juli_August_September_Oktober_November_Dezember"),
                     _words("Jan._Feb._März_Apr._Mai_Juni_Juli_Aug._Sep._Okt._Nov._Dez."),
                     _words("Sonntag_Montag_Dienstag_Mittwoch_Donnerstag_Freitag_Samstag"),
                     _words("So._Mo._Di._Mi._Do._Fr._Sa."), _words("So_Mo_Di_Mi_Do_Fr_Sa"),
                     _suffix("."), _long("DD.MM.YYYY", "D. MMMM YYYY", "dddd, D. MMMM YYYY"), dow=1, doy=4),
        MomentLocale("fr", _words("janvier_février_mars_avril_mai_juin_juillet_août_septembre_octobre_novembre_"
                                  "décembre"),
                     _words("janv._févr._mars_avr._mai_juin_juil._août_sept._oct._nov._déc."),
                     _words("dimanche_lundi_mardi_mercredi_jeudi_vendredi_samedi"),
                     _words("dim._lun._mar._mer._jeu._ven._sam."), _words("di_lu_ma_me_je_ve_sa"),
                     _french_ordinal, _long("DD/MM/YYYY", "D MMMM YYYY", "dddd D MMMM YYYY"), dow=1, doy=4),
        MomentLocale("es", _words("enero_febrero_marzo_abril_mayo_junio_julio_agosto_septiembre_octubre_noviembre_"
                                  "diciembre"),
                     _dotted_unless_dashed("ene._feb._mar._abr._may._jun._jul._ago._sep._oct._nov._dic.",
                                           "ene_feb_mar_abr_may_jun_jul_ago_sep_oct_nov_dic"),
                     _words("domingo_lunes_martes_miércoles_jueves_viernes_sábado"),
                     _words("dom._lun._mar._mié._jue._vie._sáb."), _words("do_lu_ma_mi_ju_vi_sá"),
                     _suffix("º"), _long("DD/MM/YYYY", "D [de] MMMM [de] YYYY", "dddd, D [de] MMMM [de] YYYY",
                                         time="H:mm"), dow=1, doy=4),
        MomentLocale("it", _words("gennaio_febbraio_marzo_aprile_maggio_giugno_luglio_agosto_settembre_ottobre_"
                                  "novembre_dicembre"),
                     _words("gen_feb_mar_apr_mag_giu_lug_ago_set_ott_nov_dic"),
                     _words("domenica_lunedì_martedì_mercoledì_giovedì_venerdì_sabato"),
                     _words("dom_lun_mar_mer_gio_ven_sab"), _words("do_lu_ma_me_gi_ve_sa"),
                     _suffix("º"), _long("DD/MM/YYYY", "D MMMM YYYY", "dddd D MMMM YYYY"), dow=1, doy=4),
        MomentLocale("pt", _words(_PT_MONTHS), _words("jan_fev_mar_abr_mai_jun_jul_ago_set_out_nov_dez"),
                     _words("Domingo_Segunda-feira_Terça-feira_Quarta-feira_Quinta-feira_Sexta-feira_Sábado"),
                     _words("Dom_Seg_Ter_Qua_Qui_Sex_Sáb"), _words("Do_2ª_3ª_4ª_5ª_6ª_Sá"),
                     _suffix("º"), _long("DD/MM/YYYY", "D [de] MMMM [de] YYYY", "dddd, D [de] MMMM [de] YYYY"),
                     dow=1, doy=4),
        MomentLocale("pt-br", _words(_PT_MONTHS), _words("jan_fev_mar_abr_mai_jun_jul_ago_set_out_nov_dez"),
                     _words("domingo_segunda-feira_terça-feira_quarta-feira_quinta-feira_sexta-feira_sábado"),
                     _words("dom_seg_ter_qua_qui_sex_sáb"), _words("do_2ª_3ª_4ª_5ª_6ª_sá"),
                     _suffix("º"), _long("DD/MM/YYYY", "D [de] MMMM [de] YYYY", "dddd, D [de] MMMM [de] YYYY",
                                         LLL="D [de] MMMM [de] YYYY [às] HH:mm",
                                         LLLL="dddd, D [de] MMMM [de] YYYY [às] HH:mm"), dow=0, doy=6),
        MomentLocale("nl", _words("januari_februari_maart_april_mei_juni_juli_augustus_september_oktober_november_"
                                  "december"),
                     _dotted_unless_dashed("jan._feb._mrt._apr._mei_jun._jul._aug._sep._okt._nov._dec.",
                                           "jan_feb_mrt_apr_mei_jun_jul_aug_sep_okt_nov_dec"),
                     _words("zondag_maandag_dinsdag_woensdag_donderdag_vrijdag_zaterdag"),
                     _words("zo._ma._di._wo._do._vr._za."), _words("zo_ma_di_wo_do_vr_za"),
                     _dutch_ordinal, _long("DD-MM-YYYY", "D MMMM YYYY", "dddd D MMMM YYYY"), dow=1, doy=4),
        MomentLocale("ru", _by_format("января_февраля_марта_апреля_мая_июня_июля_августа_сентября_октября_ноября_"
                                      "декабря",
                                      "январь_февраль_март_апрель_май_июнь_июль_август_сентябрь_октябрь_ноябрь_"
                                      "декабрь"),
                     _by_format("янв._февр._мар._апр._мая_июня_июля_авг._сент._окт._нояб._дек.",
                                "янв._февр._март_апр._май_июнь_июль_авг._сент._окт._нояб._дек."),
                     _by_format("воскресенье_понедельник_вторник_среду_четверг_пятницу_субботу",
                                "воскресенье_понедельник_вторник_среда_четверг_пятница_суббота",
                                re.compile(r"\[ ?[Вв] ?(?:прошлую|следующую|эту)? ?] ?dddd")),
                     _words("вс_пн_вт_ср_чт_пт_сб"), _words("вс_пн_вт_ср_чт_пт_сб"),
                     _by_period({"M": "-й", "d": "-й", "DDD": "-й", "D": "-го", "w": "-я", "W": "-я"}),
                     _long("DD.MM.YYYY", "D MMMM YYYY г.", "", time="H:mm", LLL="D MMMM YYYY г., H:mm",
                           LLLL="dddd, D MMMM YYYY г., H:mm"),
                     dow=1, doy=4, meridiem=_russian_meridiem),
        MomentLocale("ja", _words("1月_2月_3月_4月_5月_6月_7月_8月_9月_10月_11月_12月"),
                     _words("1月_2月_3月_4月_5月_6月_7月_8月_9月_10月_11月_12月"),
                     _words("日曜日_月曜日_火曜日_水曜日_木曜日_金曜日_土曜日"),
                     _words("日_月_火_水_木_金_土"), _words("日_月_火_水_木_金_土"),
                     _by_period({"d": "日", "D": "日", "DDD": "日"}, lambda year: "元年" if year == 1 else f"{year}年"),
                     _long("YYYY/MM/DD", "YYYY年M月D日", "YYYY年M月D日 dddd", l="YYYY/MM/DD", ll="YYYY年M月D日",
                           lll="YYYY年M月D日 HH:mm", llll="YYYY年M月D日(ddd) HH:mm"),
                     dow=0, doy=6, meridiem=_japanese_meridiem, eras=_JA_ERAS),
        MomentLocale("zh-cn", _words("一月_二月_三月_四月_五月_六月_七月_八月_九月_十月_十一月_十二月"),
                     _words("1月_2月_3月_4月_5月_6月_7月_8月_9月_10月_11月_12月"),
                     _words("星期日_星期一_星期二_星期三_星期四_星期五_星期六"),
                     _words("周日_周一_周二_周三_周四_周五_周六"), _words("日_一_二_三_四_五_六"),
                     _by_period({"d": "日", "D": "日", "DDD": "日", "M": "月", "w": "周", "W": "周"}),
                     _long("YYYY/MM/DD", "YYYY年M月D日", "", LLL="YYYY年M月D日Ah点mm分", LLLL="YYYY年M月D日ddddAh点mm分",
                           l="YYYY/M/D", ll="YYYY年M月D日", lll="YYYY年M月D日 HH:mm", llll="YYYY年M月D日dddd HH:mm"),
                     dow=1, doy=4, meridiem=_chinese_meridiem),
    )
}

DEFAULT_LOCALE = "en"
# Obsidian's interface languages whose moment locale has another name (Calendar and Periodic Notes'
# `langToMomentLocale`; its `en` -> `en-gb` is their own rule, applied where they are on).
OBSIDIAN_LANGUAGES = {"zh": "zh-cn", "zh-tw": "zh-tw", "pt-br": "pt-br", "cz": "cs", "no": "nn"}
# moment 2.30.1 has these regional locales of the languages above; their words differ (de-at says
# "Jänner"), so they are refused rather than printed in the base language's words.
_REGIONAL_ONLY_IN_MOMENT = frozenset({
    "de-at", "de-ch", "en-au", "en-ca", "en-ie", "en-il", "en-in", "en-nz", "en-sg", "es-do", "es-mx", "es-us",
    "fr-ca", "fr-ch", "it-ch", "nl-be", "zh-hk", "zh-mo", "zh-tw",
})


def locale_named(name: str) -> MomentLocale:
    """The locale moment would choose for `name` ("de", "de_DE", "en-US", or an Obsidian language
    such as "zh"): the exact one, else its language, as moment's chooseLocale does.

    Raises ConfigError for a locale this module does not carry.
    """
    wanted = name.strip().lower().replace("_", "-")
    wanted = OBSIDIAN_LANGUAGES.get(wanted, wanted)
    if wanted in LOCALES:
        return LOCALES[wanted]
    language = wanted.split("-", 1)[0]
    if wanted not in _REGIONAL_ONLY_IN_MOMENT and language in LOCALES:
        return LOCALES[language]
    raise ConfigError(f"locale {name!r} is not supported; use one of {', '.join(LOCALES)}")
