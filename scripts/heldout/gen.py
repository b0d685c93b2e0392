#!/usr/bin/env python3
"""A second labelled set of messy Vietnamese addresses, written independently of crates/synth.

Reads only the repository's data/ files (today's wards from ward_centroids.csv.gz, the old->new mapping from
admin_mapping.csv.gz, the old provinces' postcode prefixes from postcode_prefixes.csv); streets come from a stock of
real Vietnamese street names written below, not from the generated register. Every line names today's ward and
province as its answer (no delivery point: these addresses are not in the register). Seeded and deterministic:

    python3 scripts/heldout/gen.py --seed 11 --count 3000 --out testdata/heldout/tune.jsonl
    python3 scripts/heldout/gen.py --seed 29 --count 5000 --out testdata/heldout/heldout.jsonl

Each line: {"n", "input", "form", "class", "noise": [...], "expected": {"ward_code", "province_code"}}.
`class` is the hard case the line exercises; `noise` every operation applied. Python 3.9+, standard library only.
"""

import argparse
import collections
import csv
import gzip
import json
import os
import random
import unicodedata

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DATA = os.path.join(ROOT, "data")

# Real naming stock: historical figures, events, dynasties, places and landmarks Vietnamese streets are named after.
STREETS = """
Lý Thường Kiệt|Lạc Long Quân|Âu Cơ|Hai Bà Trưng|Bà Triệu|Phan Chu Trinh|Phan Bội Châu|Điện Biên Phủ|Quang Trung|
Trần Hưng Đạo|Nguyễn Trãi|Lê Lợi|Lê Thánh Tông|Lê Đại Hành|Lê Hoàn|Đinh Tiên Hoàng|Đinh Bộ Lĩnh|Ngô Quyền|Lý Thái Tổ|
Lý Thái Tông|Lý Nhân Tông|Lý Chiêu Hoàng|Lý Công Uẩn|Lý Tự Trọng|Lý Nam Đế|Lý Bôn|Triệu Việt Vương|Triệu Quang Phục|
Mai Hắc Đế|Phùng Hưng|Khúc Thừa Dụ|Dương Đình Nghệ|Trần Thái Tông|Trần Nhân Tông|Trần Thánh Tông|Trần Anh Tông|
Trần Quang Khải|Trần Khánh Dư|Trần Bình Trọng|Trần Quốc Toản|Trần Nhật Duật|Trần Khát Chân|Trần Quý Cáp|Trần Cao Vân|
Trần Phú|Trần Văn Ơn|Trần Đại Nghĩa|Trần Khắc Chung|Yết Kiêu|Dã Tượng|Phạm Ngũ Lão|Phạm Hồng Thái|Phạm Văn Đồng|
Phạm Hùng|Phạm Văn Chiêu|Lê Lai|Lê Văn Hưu|Lê Quý Đôn|Lê Hồng Phong|Lê Duẩn|Lê Văn Duyệt|Lê Văn Sỹ|Lê Văn Lương|
Lê Trọng Tấn|Lê Thị Riêng|Lê Quang Định|Lê Văn Tám|Lê Anh Xuân|Nguyễn Huệ|Nguyễn Du|Nguyễn Trung Trực|
Nguyễn Thái Học|Nguyễn Thị Minh Khai|Nguyễn Văn Cừ|Nguyễn Văn Linh|Nguyễn Văn Trỗi|Nguyễn Đình Chiểu|Nguyễn Bỉnh Khiêm|
Nguyễn Công Trứ|Nguyễn Chí Thanh|Nguyễn Khuyến|Nguyễn Tri Phương|Nguyễn Hữu Cảnh|Nguyễn Hữu Thọ|Nguyễn Thiện Thuật|
Nguyễn Tất Thành|Nguyễn Lương Bằng|Nguyễn Văn Huyên|Nguyễn Sơn|Nguyễn Khánh Toàn|Nguyễn Phong Sắc|Nguyễn Trường Tộ|
Nguyễn Văn Thoại|Nguyễn An Ninh|Nguyễn Thị Định|Nguyễn Đình Thi|Nguyễn Xí|Nguyễn Biểu|Nguyễn Cảnh Chân|Nguyễn Hoàng|
Nguyễn Văn Giáp|Nguyễn Gia Thiều|Hoàng Diệu|Hoàng Văn Thụ|Hoàng Hoa Thám|Hoàng Quốc Việt|Hoàng Văn Thái|Hoàng Sa|
Trường Sa|Hùng Vương|An Dương Vương|Quốc Tử Giám|Văn Miếu|Tôn Đức Thắng|Tôn Thất Tùng|Tôn Thất Thuyết|Võ Thị Sáu|
Võ Văn Kiệt|Võ Văn Tần|Võ Nguyên Giáp|Võ Chí Công|Cách Mạng Tháng Tám|Nam Kỳ Khởi Nghĩa|Ba Tháng Hai|Ba Mươi Tháng Tư|
Mười Chín Tháng Năm|Hai Tháng Chín|Bắc Sơn|Yên Bái|Bạch Đằng|Chi Lăng|Đống Đa|Ngọc Hồi|Rạch Gầm|Xoài Mút|Như Nguyệt|
Tây Sơn|Lam Sơn|Hàm Nghi|Hàm Tử|Hàm Long|Duy Tân|Thành Thái|Khải Định|Đồng Khánh|Gia Long|Minh Mạng|Tự Đức|
Chu Văn An|Lương Thế Vinh|Hải Thượng Lãn Ông|Tuệ Tĩnh|Hồ Xuân Hương|Bùi Thị Xuân|Cao Bá Quát|Cao Thắng|Cao Lỗ|
Huỳnh Thúc Kháng|Huỳnh Tấn Phát|Huỳnh Văn Bánh|Đào Duy Từ|Đào Duy Anh|Đào Tấn|Đặng Dung|Đặng Tất|Đặng Thai Mai|
Đặng Trần Côn|Đoàn Thị Điểm|Đoàn Nhữ Hài|Đội Cấn|Đội Cung|Kim Mã|Giảng Võ|La Thành|Láng Hạ|Thái Hà|Tây Hồ|Hồ Tùng Mậu|
Xuân Thủy|Xuân Diệu|Tố Hữu|Tú Xương|Hàn Mặc Tử|Văn Cao|Trịnh Công Sơn|Phạm Ngọc Thạch|Tạ Quang Bửu|Tôn Thất Đạm|
Ông Ích Khiêm|Mạc Đĩnh Chi|Mạc Thị Bưởi|Mạc Cửu|Mạc Thiên Tích|Phan Đình Phùng|Phan Huy Chú|Phan Huy Ích|Phan Kế Bính|
Phan Văn Trị|Phan Xích Long|Phan Đăng Lưu|Phan Thanh Giản|Phan Văn Hớn|Thủ Khoa Huân|Trương Định|Trương Công Định|
Trương Hán Siêu|Trương Vĩnh Ký|Trương Quốc Dung|Nam Cao|Ngô Gia Tự|Ngô Thì Nhậm|Ngô Sĩ Liên|Ngô Tất Tố|Ngô Văn Sở|
Ngô Mây|Nơ Trang Lơng|Kim Đồng|Võ Thị Hồng|Lạc Trung|Kim Ngưu|Tam Trinh|Giải Phóng|Thống Nhất|Độc Lập|Hòa Bình|
Tự Do|Dân Chủ|Hạnh Thông|Thanh Niên|Sư Vạn Hạnh|Bà Huyện Thanh Quan|Thi Sách|Thái Phiên|Lê Ngô Cát|Lê Lộ|
Tô Hiến Thành|Tô Hiệu|Tô Vĩnh Diện|Tô Ngọc Vân|Bế Văn Đàn|Cù Chính Lan|La Văn Cầu|Phan Đình Giót|Nguyễn Viết Xuân|
Núp|Y Jút|Y Bih Alêô|Hồ Tùng Mậu|Hồ Biểu Chánh|Hồ Học Lãm|Hồ Văn Huê|Hàn Thuyên|Chu Mạnh Trinh|Mai Thúc Loan|
Mai Xuân Thưởng|Mai Anh Tuấn|Đinh Công Tráng|Đinh Lễ|Đinh Liệt|Lò Đúc|Hàng Bài|Hàng Bông|Hàng Gai|Hàng Đào|Hàng Ngang|
Tràng Tiền|Tràng Thi|Bà Rịa|Vạn Kiếp|Chương Dương|Hàm Rồng|Thăng Long|Phú Xuân|Gia Định|Biên Hòa|Hà Tiên|Cửu Long|
Sông Hồng|Sông Đà|Sông Lam|Hồng Hà|Tô Lịch|Hoàn Kiếm|Trúc Bạch|Hương Giang|Bến Thành|Bến Nghé|Bến Vân Đồn|Vân Đồn|
Ký Con|Cô Giang|Cô Bắc|Đề Thám|Nam Quốc Cang|Kỳ Đồng|Trần Khắc Chân|Lê Văn Thịnh|Nguyễn Văn Đậu|Nguyễn Oanh|
Quang Trung|Lê Chân|Nguyễn Đức Cảnh|Điện Biên|Tân Trào|Pác Bó|Tuyên Quang|Thái Nguyên|Lạng Sơn|Cao Bằng|Hải Phòng|
Thanh Hóa|Nghệ An|Quảng Trị|Huế|Kon Tum|Gia Lai|Lâm Đồng|Đà Lạt|Tây Ninh|Cà Mau|Hà Huy Tập|Hà Huy Giáp|Hà Bổng|
Hà Văn Tính|Hồng Bàng|Văn Lang|Âu Lạc|Vạn Xuân|Đại Cồ Việt|Đại Việt|Lạc Hồng|Tiên Lãng|Mê Linh|Cổ Loa|Hoa Lư|Bình Than|
Chương Dương Độ|Tây Kết|Bắc Hải|Nam Hải|Hải Thượng|Phú Thọ|Phú Lâm|Phú Lợi|Phú Nhuận|Tân Định|Tân Phú|Tân Lập|
Thành Công|Quyết Thắng|Chiến Thắng|Tiền Phong|Tân Tiến|Tiến Bộ|Hòa Khánh|Hòa Minh|An Hải|An Khánh|An Phú|Bình Minh
""".replace("\n", "").split("|")

# Villages (thôn, ấp, bản, xóm): names common all over the country, often also ward names somewhere.
VILLAGES = """Tân Lập|Tân Thành|Đông Hòa|Trung Tâm|Phú Xuân|Bình An|An Lạc|Hòa Bình|Thống Nhất|Quyết Tiến|Đoàn Kết|
Tân Tiến|Đồng Tâm|Phú Thịnh|Vĩnh Phúc|Thượng|Hạ|Đông|Tây|Nam|Bắc|Xuân Mai|Phong Phú|Hưng Long|Mỹ Lợi|Bình Minh|Tân Hòa
""".replace("\n", "").split("|")

# Where alleys are called ngõ/ngách (north), kiệt (centre) or hẻm (south), by today's province code.
NORTH = {"01", "04", "08", "11", "12", "14", "15", "19", "20", "22", "24", "25", "31", "33", "37", "38", "40", "42"}
CENTRE = {"44", "46", "48", "51", "52", "56", "66", "68"}

def strip(s):
    """The text without diacritics, case kept (đ -> d)."""
    s = s.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))


def key(s):
    """Folded key: lower case, no marks, letters and digits only."""
    return "".join(c for c in strip(s).lower() if c.isalnum())


def within_one(a, b):
    """Whether two keys are at most one edit (insert, delete, substitute, swap of neighbours) apart."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1:]


def split_type(full):
    for w in ("Thị trấn ", "Thị xã ", "Thành phố ", "Đặc khu ", "Phường ", "Xã ", "Quận ", "Huyện ", "Tỉnh "):
        if full.startswith(w):
            return w.strip(), full[len(w):]
    return "", full


class Geo:
    def __init__(self):
        with gzip.open(os.path.join(DATA, "ward_centroids.csv.gz"), "rt", encoding="utf-8") as f:
            self.wards = sorted(csv.DictReader(f), key=lambda r: r["code"])
        with gzip.open(os.path.join(DATA, "admin_mapping.csv.gz"), "rt", encoding="utf-8") as f:
            self.mapping = sorted(csv.DictReader(f), key=lambda r: (r["old_ward_code"], r["new_ward_code"]))
        with open(os.path.join(DATA, "postcode_prefixes.csv"), encoding="utf-8") as f:
            self.prefixes = {r["old_province_code"]: r["old_prefix_2digit"][:2] for r in csv.DictReader(f)}
        self.ward_by_code = {w["code"]: w for w in self.wards}
        self.province_name = {}
        self.province_type = {}
        for r in self.mapping:
            t, name = split_type(r["new_province_name"])
            self.province_name[r["new_province_code"]] = name
            self.province_type[r["new_province_code"]] = t or "Tỉnh"
        # new wards by province, keyed folded (the ones sharing a folded name with another of their province are
        # not used as answers: only the marks or type word would tell them apart)
        by_prov = collections.defaultdict(list)
        for w in self.wards:
            by_prov[w["province_code"]].append(w)
        self.wards_of = by_prov
        dup = collections.Counter((w["province_code"], key(w["name"])) for w in self.wards)
        self.usable = [w for w in self.wards if dup[(w["province_code"], key(w["name"]))] == 1]
        # old wards, their new ward(s)
        self.targets = collections.defaultdict(set)
        self.old = {}
        for r in self.mapping:
            self.targets[r["old_ward_code"]].add(r["new_ward_code"])
            self.old[r["old_ward_code"]] = r
        self.old_of_province = collections.defaultdict(list)
        for r in self.mapping:
            self.old_of_province[r["old_province_code"]].append(r)
        self.sources = collections.defaultdict(list)
        for r in self.mapping:
            if r not in self.sources[r["new_ward_code"]]:
                self.sources[r["new_ward_code"]].append(r)
        # every unit name of a province of today, old and new, keyed: what a misspelling must not come near
        self.names_in = collections.defaultdict(lambda: collections.defaultdict(set))
        for w in self.wards:
            self.names_in[w["province_code"]][key(w["name"])].add(w["code"])
        for r in self.mapping:
            p = r["new_province_code"]
            self.names_in[p][key(split_type(r["old_ward_name"])[1])].add(r["new_ward_code"])
            self.names_in[p][key(split_type(r["old_district_name"])[1])].add("district")
        self.all_ward_keys = set()
        for w in self.wards:
            self.all_ward_keys.add(key(w["name"]))
        for r in self.mapping:
            self.all_ward_keys.add(key(split_type(r["old_ward_name"])[1]))
        # old wards whose whole territory went to one new ward, and whose name, within their old district and
        # province, says which they are
        in_district = collections.Counter(
            (r["old_district_code"], key(split_type(r["old_ward_name"])[1]))
            for r in {x["old_ward_code"]: x for x in self.mapping}.values())
        in_old_prov = collections.defaultdict(set)
        for r in self.mapping:
            in_old_prov[(r["old_province_code"], key(split_type(r["old_ward_name"])[1]))].add(r["old_ward_code"])
        self.certain_old = []
        self.old_unique_in_province = set()
        seen = set()
        for r in self.mapping:
            c = r["old_ward_code"]
            if c in seen or len(self.targets[c]) != 1:
                continue
            seen.add(c)
            if r["new_ward_code"] not in self.ward_by_code:
                continue
            k = key(split_type(r["old_ward_name"])[1])
            if in_district[(r["old_district_code"], k)] != 1 or not k:
                continue
            self.certain_old.append(r)
            # without its district it is still certain: no other old ward of its old province, and no ward of
            # today in its province elsewhere, carries the name
            new_named = self.names_in[r["new_province_code"]].get(k, set())
            other_new = {w for w in new_named if w != "district" and w != r["new_ward_code"]}
            if len(in_old_prov[(r["old_province_code"], k)]) == 1 and not other_new:
                self.old_unique_in_province.add(c)


def title_case(s):
    return " ".join(w[:1].upper() + w[1:] for w in s.split(" "))


class Line:
    """One address under construction: its pieces in writing order and the noise applied."""

    def __init__(self, rng):
        self.rng = rng
        self.noise = []
        self.pieces = []  # (role, type_word, name)

    def add(self, role, word, name):
        self.pieces.append([role, word, name])

    def note(self, op):
        if op not in self.noise:
            self.noise.append(op)


def house_number(rng, line, cls, province_code):
    """The house part: `27`, `12A`, `38B/2`, `Hẻm 45/12`, `ngõ 12 ngách 3`, `K12/5`, with or without `số`."""
    n = rng.choice([rng.randint(1, 30), rng.randint(1, 200), rng.randint(1, 999)])
    if cls != "house-letter":
        r = rng.random()
        if r < 0.55:
            return rng.choice(["", "", "Số ", "số ", "SN "]) + str(n)
        if r < 0.7:
            return ""
        return rng.choice(["", "Số "]) + str(n)
    letter = rng.choice("ABCDEFGHKabcd")
    north, centre = province_code in NORTH, province_code in CENTRE
    form = rng.randrange(9)
    if form == 0:
        line.note("house_letter")
        return f"{n}{letter}"
    if form == 1:
        line.note("house_letter")
        return rng.choice(["Số ", "số ", "SN ", "nhà số "]) + f"{n}{letter}"
    if form == 2:
        line.note("house_letter_slash")
        return f"{n}{letter.upper()}/{rng.randint(1, 40)}"
    if form == 3:
        line.note("slash_house")
        return f"{n}/{rng.randint(1, 90)}" + rng.choice(["", "", f"/{rng.randint(1, 20)}"])
    if form == 4:
        line.note("alley_slash")
        word = "ngõ" if north else ("kiệt" if centre else "hẻm")
        return f"{rng.choice([word, word.capitalize(), word.upper()])} {n}/{rng.randint(1, 60)}"
    if form == 5:
        line.note("alley_words")
        if north:
            s = f"số {rng.randint(1, 60)} ngõ {n} ngách {rng.randint(1, 40)}"
            return s if rng.random() < 0.6 else f"{rng.randint(1, 60)}{letter} ngõ {n} ngách {rng.randint(1, 40)}"
        word = "kiệt" if centre else "hẻm"
        return f"{rng.randint(1, 60)}{rng.choice(['', letter])} {word} {n}"
    if form == 6:
        line.note("kiet_k")
        return f"K{n}/{rng.randint(1, 40)}" + rng.choice(["", f"/{rng.randint(1, 9)}"])
    if form == 7:
        line.note("house_letter_space")
        return f"{n} {letter.upper()}"
    line.note("house_letter")
    return f"{n}{letter}" + rng.choice(["", f"/{rng.randint(1, 9)}{rng.choice(['', letter])}"])


def misspell(rng, name, avoid):
    """One letter doubled or dropped in one word of `name` (its marks kept); None if every try comes near `avoid`."""
    words = name.split(" ")
    for _ in range(12):
        wi = rng.randrange(len(words))
        w = words[wi]
        if len(w) < 2:
            continue
        if rng.random() < 0.55:
            i = rng.randrange(len(w))
            neww = w[: i + 1] + w[i] + w[i + 1:]
            op = "doubled_letter"
        else:
            if len(w) < 3:
                continue
            i = rng.randrange(1, len(w))
            neww = w[:i] + w[i + 1:]
            op = "dropped_letter"
        cand = " ".join(words[:wi] + [neww] + words[wi + 1:])
        if not avoid(key(cand)):
            return cand, op
    return None


def build(geo, rng, n):
    classes = [
        ("plain", 20), ("street-named-like-ward", 16), ("house-letter", 12), ("doubled-letter", 10),
        ("no-separator", 10), ("old-form", 12), ("old-province-new-ward", 8), ("old-district-new-ward", 5),
        ("village", 7),
    ]
    names = [c for c, _ in classes]
    weights = [w for _, w in classes]
    while True:
        cls = rng.choices(names, weights)[0]
        out = make(geo, rng, cls)
        if out is not None:
            return {"n": n, **out}


def make(geo, rng, cls):
    line = Line(rng)
    form = "new"
    orow = None
    if cls == "old-form":
        orow = rng.choice(geo.certain_old)
        ward = geo.ward_by_code[orow["new_ward_code"]]
        pc = ward["province_code"]
        wt, wn = split_type(orow["old_ward_name"])
        dt, dn = split_type(orow["old_district_name"])
        pt, pn = split_type(orow["old_province_name"])
        form = "old"
    else:
        ward = rng.choice(geo.usable)
        pc = ward["province_code"]
        wt = {"phường": "Phường", "xã": "Xã", "đặc khu": "Đặc khu"}[ward["type"]]
        wn = ward["name"]
        pt, pn = geo.province_type[pc], geo.province_name[pc]
        dt = dn = ""
        if cls in ("old-province-new-ward", "old-district-new-ward"):
            srcs = geo.sources[ward["code"]]
            olds = {s["old_province_code"] for s in srcs}
            if len(olds) != 1:
                return None
            pt, pn = split_type(srcs[0]["old_province_name"])
            form = "mixed"
            # with the old province written, the ward's name must not be an old ward's of that province that went
            # elsewhere (the text would then read as the old form)
            k = key(wn)
            if any(key(split_type(x["old_ward_name"])[1]) == k and x["new_ward_code"] != ward["code"]
                   for x in geo.old_of_province[srcs[0]["old_province_code"]]):
                return None
            if cls == "old-district-new-ward":
                s = rng.choice(srcs)
                dt, dn = split_type(s["old_district_name"])
                # the ward's name must not be an old ward's of that district that went elsewhere
                k = key(wn)
                if any(key(split_type(x["old_ward_name"])[1]) == k and x["new_ward_code"] != ward["code"]
                       for x in geo.mapping if x["old_district_code"] == s["old_district_code"]):
                    return None
            elif pn == geo.province_name[pc]:
                return None
    # the street (or village)
    street = None
    village = None
    if cls == "street-named-like-ward":
        # a street named like a ward: of its own province (the hardest) or anywhere
        here = [s for s in STREETS if key(s) in geo.names_in[pc] and key(s) != key(wn)]
        anywhere = [s for s in STREETS if key(s) in geo.all_ward_keys and key(s) != key(wn)]
        pool = here if here and rng.random() < 0.5 else anywhere
        street = rng.choice(pool)
        line.note("street_is_ward_name_here" if key(street) in geo.names_in[pc] else "street_is_ward_name")
    elif cls == "village":
        village = rng.choice(VILLAGES + [w["name"] for w in rng.sample(geo.wards, 3)])
        if key(village) == key(wn):
            return None
    else:
        street = rng.choice(STREETS) if rng.random() < 0.85 else None
        if street and key(street) == key(wn):
            return None
    # house part
    if village is not None:
        vw = rng.choice(["Thôn", "thôn", "Ấp", "ấp", "Xóm", "Bản", "Tổ dân phố", "Khu phố", "tổ"])
        if rng.random() < 0.3:
            line.add("house", "", rng.choice(["", "Số "]) + str(rng.randint(1, 300)))
        if rng.random() < 0.25:
            line.add("village", vw, str(rng.randint(1, 15)))
            line.note("numbered_village")
        else:
            line.add("village", vw, village)
            line.note("village_named")
    else:
        hn = house_number(rng, line, cls, pc)
        if street is None and not hn:
            hn = str(rng.randint(1, 300))
        sw = ""
        if street is not None:
            r = rng.random()
            if r < 0.3:
                sw = "Đường"
            elif r < 0.38:
                sw = "đường"
            elif r < 0.48 and pc in NORTH:
                sw = "Phố"
            elif r < 0.53:
                sw = "Đ."
            if sw:
                line.note("street_word")
        if hn:
            line.add("house", "", hn)
        if street is not None:
            line.add("street", sw, street)
    line.add("ward", wt, wn)
    if dn:
        line.add("district", dt, dn)
    line.add("province", pt, pn)

    # old form: the district left out only when the ward's name is certain without it
    if orow is not None and rng.random() < 0.25 and orow["old_ward_code"] in geo.old_unique_in_province:
        line.pieces = [p for p in line.pieces if p[0] != "district"]
        line.note("no_district")

    # misspelt ward (the class) or, now and then, street / province
    if cls == "doubled-letter":
        names = geo.names_in[pc]
        true_code = ward["code"]

        def near_other(k):
            if k in names and names[k] != {true_code}:
                return True
            return any(within_one(k, other) and codes - {true_code} for other, codes in names.items()
                       if abs(len(other) - len(k)) <= 1 and other != key(wn))
        m = misspell(rng, wn, near_other)
        if m is None:
            return None
        for p in line.pieces:
            if p[0] == "ward":
                p[2] = m[0]
        line.note(m[1] + "_ward")
    elif street is not None and rng.random() < 0.1:
        m = misspell(rng, street, lambda k: False)
        if m:
            for p in line.pieces:
                if p[0] == "street":
                    p[2] = m[0]
            line.note(m[1] + "_street")

    # type words: abbreviated or left out (province and ward independently)
    abbrev = {"Phường": ["P.", "P", "p.", "F."], "Xã": ["X.", "x.", "X"], "Quận": ["Q.", "Q", "q."],
              "Huyện": ["H.", "h.", "H"], "Thị xã": ["Tx", "TX.", "tx."], "Thị trấn": ["TT", "tt.", "Tt."],
              "Thành phố": ["TP", "TP.", "Tp", "tp."], "Tỉnh": ["T.", "tỉnh"], "Đặc khu": ["ĐK", "đặc khu"]}
    for p in line.pieces:
        role, word = p[0], p[1]
        if role not in ("ward", "district", "province") or not word:
            continue
        numeric = p[2].isdigit()
        r = rng.random()
        if r < 0.35 and word in abbrev:
            p[1] = rng.choice(abbrev[word])
            line.note("abbrev_" + role)
        elif r < 0.6 and not numeric:
            p[1] = ""
            line.note("no_type_" + role)
    # HCM / Hà Nội short forms
    for p in line.pieces:
        if p[0] == "province" and p[2] in ("Hồ Chí Minh", "Hà Nội") and rng.random() < 0.35:
            p[1] = ""
            p[2] = rng.choice({"Hồ Chí Minh": ["TP.HCM", "TpHCM", "HCM", "Sài Gòn", "TP Hồ Chí Minh", "HCMC"],
                               "Hà Nội": ["HN", "Hanoi", "TP Hà Nội", "Hà Nội"]}[p[2]])
            line.note("province_short")

    # tail: the country, or the old province's postcode
    tail = []
    if rng.random() < 0.04:
        tail.append(rng.choice(["Việt Nam", "Vietnam", "VN"]))
        line.note("country")
    elif rng.random() < 0.03:
        srcs = geo.sources[ward["code"]]
        if srcs and srcs[0]["old_province_code"] in geo.prefixes:
            tail.append(geo.prefixes[srcs[0]["old_province_code"]] + "000")
            line.note("postcode")

    parts = []
    for _, word, name in line.pieces:
        glued = word.endswith(".") and rng.random() < 0.5
        text = word + name if glued else (word + " " + name).strip()
        if text:
            parts.append(text)
    parts += tail
    # separators
    if cls == "no-separator":
        sep = " "
        line.note("no_separators")
    else:
        r = rng.random()
        if r < 0.68:
            sep = rng.choice([", ", ", ", ",", " ,"])
        elif r < 0.8:
            sep = " - "
            line.note("dash_separators")
        elif r < 0.86:
            sep = "; "
            line.note("semicolon_separators")
        else:
            sep = " "
            line.note("no_separators")
    if sep != " " and rng.random() < 0.15 and len(parts) > 3:
        # one separator missing (between house+street and the ward, the usual place)
        i = rng.randrange(len(parts) - 1)
        parts[i:i + 2] = [parts[i] + " " + parts[i + 1]]
        line.note("one_separator_missing")
    text = sep.join(parts)

    # marks and case
    r = rng.random()
    if cls == "no-separator" or r < 0.4:
        text = strip(text)
        line.note("no_marks")
    elif r < 0.55:
        words = text.split(" ")
        text = " ".join(strip(w) if rng.random() < 0.5 else w for w in words)
        line.note("some_marks")
    r = rng.random()
    if cls == "no-separator" or r < 0.3:
        text = text.lower()
        line.note("lower")
    elif r < 0.38:
        text = text.upper()
        line.note("upper")
    elif r < 0.45:
        text = title_case(text)
        line.note("title")
    if rng.random() < 0.05:
        text = text.replace(" ", "  ", 1) + rng.choice([".", " .", ""])
        line.note("stray_spacing")
    if cls == "no-separator":
        text = text.replace(",", " ").replace(".", " ")
        text = " ".join(text.split())
    return {
        "input": text,
        "form": form,
        "class": cls,
        "noise": line.noise,
        "expected": {"ward_code": ward["code"], "province_code": pc},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    geo = Geo()
    rng = random.Random(a.seed)
    with open(a.out, "w", encoding="utf-8", newline="\n") as f:
        for n in range(a.count):
            f.write(json.dumps(build(geo, rng, n), ensure_ascii=False, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
