#!/usr/bin/env python3
"""Synthetic person records in Tuva EMPI's import format, with known truth and realistic errors.

    generate.py N OUT.csv [SEED]

About N records of N/2.5 people: every person has an original record and 0-4 more from other
sources, each copy with errors at realistic rates: typos (a letter replaced, dropped, doubled or
two swapped), nicknames, first and last names swapped, missing values, a move (new address, city
and zip), a birth date with day and month swapped or one digit wrong. Relatives share a last name,
an address and a phone with each other but not a first name or birth date, so they are near
misses, not matches. source_person_id is "p<person>-<copy>": records sharing <person> are one.
"""
import random
import sys

FIRST = ("james mary robert patricia john jennifer michael linda david elizabeth william barbara "
         "richard susan joseph jessica thomas sarah charles karen christopher lisa daniel nancy "
         "matthew betty anthony margaret mark sandra donald ashley steven kimberly paul emily "
         "andrew donna joshua michelle kenneth carol kevin amanda brian dorothy george melissa "
         "timothy deborah ronald stephanie edward rebecca jason sharon jeffrey laura ryan cynthia "
         "jacob kathleen gary amy nicholas angela eric shirley jonathan anna stephen brenda larry "
         "pamela justin emma scott nicole brandon helen benjamin samantha samuel katherine gregory "
         "christine alexander debra frank rachel patrick carolyn raymond janet jack catherine "
         "dennis maria jerry heather tyler diane aaron ruth jose julie adam olivia nathan joyce "
         "henry virginia douglas victoria zachary kelly peter lauren kyle christina noah joan "
         "ethan evelyn jeremy judith walter megan christian andrea keith cheryl roger hannah "
         "terry jacqueline austin martha sean gloria gerald teresa carl ann harold sara dylan "
         "madison arthur frances lawrence kathryn jordan janice jesse jean bryan abigail billy "
         "alice bruce judy gabriel sophia joe grace logan denise albert amber willie doris alan "
         "marilyn juan danielle wayne beverly elijah isabella randy theresa roy diana vincent "
         "natalie ralph brittany eugene charlotte russell marie bobby kayla mason alexis philip "
         "lori louis").split()
NICK = {"william": "bill", "robert": "bob", "richard": "dick", "james": "jim", "john": "jack",
        "michael": "mike", "elizabeth": "liz", "margaret": "peggy", "katherine": "kate",
        "jennifer": "jen", "christopher": "chris", "joseph": "joe", "thomas": "tom",
        "patricia": "pat", "daniel": "dan", "matthew": "matt", "anthony": "tony",
        "rebecca": "becky", "nicholas": "nick", "alexander": "alex", "samantha": "sam",
        "benjamin": "ben", "jonathan": "jon", "edward": "ed", "stephanie": "steph"}
LAST_STEMS = ("smith johnson williams brown jones garcia miller davis rodriguez martinez "
              "hernandez lopez gonzalez wilson anderson thomas taylor moore jackson martin lee "
              "perez thompson white harris sanchez clark ramirez lewis robinson walker young "
              "allen king wright scott torres nguyen hill flores green adams nelson baker hall "
              "rivera campbell mitchell carter roberts").split()
SUFFIXES = ["", "", "", "son", "s", "er", "ton", "ley", "field", "wood", "man", "berg", "ford"]
STREETS = ("main oak pine maple cedar elm washington lake hill park view sunset river spring "
           "church mill north south west east highland forest meadow ridge valley").split()
KINDS = ["street", "avenue", "road", "drive", "lane", "court", "place", "way"]
CITIES = [f"{a}{b}" for a in ("spring", "river", "lake", "fair", "green", "oak", "maple", "ash",
                              "clear", "west", "north", "east", "glen", "red", "stone", "wood")
          for b in ("field", "ton", "ville", "dale", "wood", "port", "view", "burg", "mont")]
STATES = ["ca", "tx", "fl", "ny", "pa", "il", "oh", "ga", "nc", "mi", "nj", "va", "wa", "az"]
COLUMNS = ["data_source", "source_person_id", "first_name", "last_name", "sex", "race",
           "birth_date", "death_date", "social_security_number", "address", "city", "state",
           "zip_code", "county", "phone"]


def typo(rng, s):
    if len(s) < 3:
        return s
    i = rng.randrange(1, len(s) - 1)
    kind = rng.random()
    letter = chr(rng.randrange(97, 123))
    if kind < 0.35:
        return s[:i] + letter + s[i + 1:]
    if kind < 0.6:
        return s[:i] + s[i + 1:]
    if kind < 0.8:
        return s[:i] + s[i] + s[i:]
    return s[:i] + s[i + 1] + s[i] + s[i + 2:]


def address(rng):
    return f"{rng.randrange(1, 9999)} {rng.choice(STREETS)} {rng.choice(KINDS)}", \
        rng.choice(CITIES), rng.choice(STATES), f"{rng.randrange(10000, 99999)}"


def main():
    n = int(sys.argv[1])
    out = sys.argv[2]
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 20261122)
    last_names = [stem + suffix for stem in LAST_STEMS for suffix in SUFFIXES]
    sources = ["clinic-a", "clinic-b", "lab", "pharmacy", "hospital"]
    written = 0
    person = 0
    family = None
    with open(out, "w") as f:
        f.write(",".join(COLUMNS) + "\n")
        while written < n:
            # A third of people belong to a household with the previous one.
            if family is None or rng.random() > 0.33:
                family = (rng.choice(last_names), address(rng),
                          f"{rng.randrange(200, 999)}{rng.randrange(1000000, 9999999)}")
            last, (street, city, state, zipc), phone = family
            first = rng.choice(FIRST)
            sex = rng.choice("mf")
            dob = (rng.randrange(1930, 2020), rng.randrange(1, 13), rng.randrange(1, 29))
            ssn = f"{rng.randrange(100000000, 999999999)}" if rng.random() < 0.6 else ""
            copies = rng.choice([1, 1, 2, 2, 3, 3, 4, 5])
            for copy in range(copies):
                if written >= n:
                    break
                fn, ln, st, ci, stt, zp, ph, sx, sn = first, last, street, city, state, zipc, phone, sex, ssn
                y, m, d = dob
                if copy > 0:
                    if rng.random() < 0.15:
                        fn = NICK.get(fn, fn)
                    if rng.random() < 0.15:
                        fn = typo(rng, fn)
                    if rng.random() < 0.12:
                        ln = typo(rng, ln)
                    if rng.random() < 0.03:
                        fn, ln = ln, fn
                    if rng.random() < 0.15:
                        st, ci, stt, zp = address(rng)
                    elif rng.random() < 0.1:
                        st = typo(rng, st)
                    if rng.random() < 0.05 and d <= 12:
                        m, d = d, m
                    elif rng.random() < 0.05:
                        y += rng.choice([-10, -1, 1, 10])
                    for _ in range(rng.choice([0, 0, 0, 1, 2])):
                        field = rng.choice(["ph", "sn", "zp", "sx", "dob"])
                        if field == "ph":
                            ph = ""
                        elif field == "sn":
                            sn = ""
                        elif field == "zp":
                            zp = ""
                        elif field == "sx":
                            sx = ""
                        else:
                            y = 0
                birth = f"{y:04d}{m:02d}{d:02d}" if y else ""
                f.write(",".join([sources[copy % len(sources)], f"p{person}-{copy}", fn, ln, sx, "",
                                  birth, "", sn, st, ci, stt, zp, "", ph]) + "\n")
                written += 1
            person += 1


if __name__ == "__main__":
    main()
