"""Every Indonesian text the Python code composes for customers, in one place for review and tone.

The rule: responses that Rasa rules and stories utter by name (``utter_*``) live in ``domain.yml``, the Rasa
convention; everything else the code sends lives here: replies of the custom actions and the report form,
button titles, the channels' fallbacks, the live handoff and survey, incident notices, and the notes the
conversation leaves for agents. ``tests/unit/test_wording_catalogue.py`` checks that each one is used.
What stays with its code: the names of report details and their values (:mod:`actions.reporting.details`),
words that format numbers and dates ("juta", "pukul"), and the text of agents' own tools (ticket rendering,
desks, command lines, the analytics report). Importable from ``actions`` and ``bot`` alike: it imports
neither ``actions`` nor anything that does.
"""
from __future__ import annotations

from typing import Dict, List

from bot.tickets.sla import configured_hours
from nlu.sentiment import Mood

EMPATHY: Dict[Mood, str] = {
    Mood.URGENT: ("Saya paham ini situasi yang sangat mencemaskan, dan saya bantu sekarang juga. "
                  "Mohon jangan membagikan kata sandi, kode OTP, private key, atau seed phrase kepada siapa pun, "
                  "termasuk yang mengaku sebagai staf kami."),
    Mood.UPSET: "Mohon maaf atas ketidaknyamanannya, saya mengerti ini membuat Anda khawatir. Saya bantu cek ya.",
}
REPORT_EMPATHY = "Saya paham ini membuat Anda cemas. Mari kita cek bersama, langkah demi langkah."

ASK_HELPFUL = "Apakah jawaban ini membantu?"
BUTTON_HELPFUL = "Ya, membantu"
BUTTON_NOT_HELPFUL = "Belum membantu"
BUTTON_AGENT = "Hubungi agen"

GREETINGS_BY_NAME = (
    "Halo, {name}! Saya asisten virtual layanan pelanggan. Ada yang bisa saya bantu hari ini? Anda bisa bertanya "
    "soal akun, verifikasi, deposit, penarikan, trading, atau keamanan.",
    "Hai {name}, selamat datang! Silakan ceritakan apa yang bisa saya bantu, misalnya deposit yang belum masuk "
    "atau cara mengaktifkan 2FA.",
)

CLARIFY = "Supaya jawabannya tepat, maksud Anda yang mana?"
UNCLEAR = ("Maaf, saya belum menangkap maksud pesan Anda. Boleh ceritakan kendalanya dalam satu atau dua kalimat? "
           "Contoh: \"cara deposit rupiah\" atau \"penarikan saya gagal\".")
EMPTY = ("Sepertinya pesan Anda kosong atau hanya berisi simbol. Silakan tuliskan pertanyaan Anda, "
         "misalnya \"cara aktivasi 2FA\".")
JUNK = ("Maaf, pesan Anda tidak bisa saya baca, mungkin ada karakter yang rusak. "
        "Boleh dikirim ulang dalam bentuk teks biasa?")
# English (or another language) with a clear best article: answer it with this note first.
FOREIGN_NOTE = ("(Our support team works in Indonesian; here is the guide that matches your question. "
                "Layanan kami berbahasa Indonesia, berikut panduan yang sesuai.)")
FOREIGN = ("Mohon maaf, saat ini saya hanya bisa melayani dalam Bahasa Indonesia. "
           "(Sorry, I can only help in Indonesian for now.) Silakan tulis pertanyaan Anda dalam Bahasa Indonesia, "
           "atau pilih topik di bawah ini.")

GLAD = "Senang bisa membantu! Ada lagi yang bisa saya bantu?"
ACK_YES = "Baik. Ada yang bisa saya bantu? Silakan tulis pertanyaan Anda."
ACK_NO = "Baik, tidak masalah. Kalau ada yang ingin ditanyakan, tulis saja ya."

REPORT_COLLECT = ("Jika langkah di atas belum menyelesaikan masalahnya, agen kami siap membantu. Saya catat detailnya "
                  "sekarang supaya agen bisa langsung menindaklanjuti tanpa bertanya ulang (ketik \"batal\" jika tidak "
                  "perlu). Kami tidak akan pernah meminta kata sandi, kode OTP, private key, atau seed phrase Anda.")
NOT_HELPFUL_REPORT = ("Maaf jawabannya belum menyelesaikan masalah Anda. Saya bantu teruskan ke agen kami; "
                      "saya catat dulu detailnya ya (ketik \"batal\" jika tidak perlu).")


def agent_hours_text() -> str:
    """Agents' operating hours as customers read them, e.g. ``08.00–22.00 WIB``."""
    hours = configured_hours()
    return f"{hours.opens // 60:02d}.{hours.opens % 60:02d}–{hours.closes // 60:02d}.{hours.closes % 60:02d} WIB"


HUMAN_INTRO = ("Tentu, saya bantu teruskan ke agen kami. Agen bertugas setiap hari pukul {hours}, "
               "dan mereka akan menerima ringkasan lengkap dari saya.")
HUMAN_EXISTING = ("Laporan Anda sudah tercatat dengan nomor tiket {ticket_id} dan sedang menunggu agen kami. "
                  "Jika ini kendala lain, ceritakan saja, saya bantu catat.")

TICKET_CREATED = ("Terima kasih, laporan Anda sudah diteruskan ke agen kami dengan nomor tiket {ticket_id}. "
                  "Mohon simpan nomor ini; agen sudah menerima ringkasannya, jadi Anda tidak perlu menjelaskan ulang. "
                  "Balasan agen akan muncul di chat ini.")
TICKET_IN_HOURS = "Agen kami akan menghubungi Anda paling lambat {due}."
TICKET_OUT_OF_HOURS = ("Saat ini di luar jam operasional agen ({hours}). Laporan Anda sudah masuk antrean dan "
                       "ditangani begitu agen mulai bertugas, paling lambat {due}.")
TICKET_HACKED_ADVICE = ("Sambil menunggu: jika masih bisa masuk, segera ganti kata sandi dan reset 2FA, lalu keluarkan "
                        "perangkat yang tidak dikenal. Jangan bagikan kode OTP kepada siapa pun.")
BACK_TO_REPORT = "Semoga membantu. Kita lanjutkan laporannya ya:"
REPORT_CANCELLED = ("Baik, laporannya saya batalkan dan tidak ada tiket yang dibuat. Jika nanti masih perlu bantuan, "
                    "tulis saja kendalanya kapan pun.")

SECRET_NAMES = {"seed_phrase": "seed phrase", "private_key": "private key", "extended_private_key": "private key",
                "password": "kata sandi", "otp": "kode OTP"}
SECRET_WARNING = (
    "PENTING: sepertinya Anda mengirim {what} di percakapan ini. Bagian itu sudah kami hapus dari catatan. "
    "Kami tidak pernah meminta seed phrase, private key, kata sandi, atau kode OTP; siapa pun yang memintanya "
    "adalah penipu.")
SECRET_STEPS = (
    "Mohon segera:\n"
    "1. Jika seed phrase atau private key terlanjur dibagikan, pindahkan aset dari dompet itu ke dompet baru.\n"
    "2. Jika kata sandi atau OTP terlanjur dibagikan, ganti kata sandi dan reset 2FA sekarang.\n"
    "3. Jangan bagikan ke siapa pun lagi, termasuk yang mengaku staf kami.\n"
    "Jika ada transaksi yang tidak Anda kenali, agen kami siap membantu.")
# Personal data masked at entry (nlu.personal_data, bot.channels.privacy_note): said once, and only for these.
PERSONAL_DATA_NAMES = {"nik": "nomor KTP", "card": "nomor kartu"}
PERSONAL_DATA_NOTE = ("Demi keamanan, {what} yang Anda kirim tidak kami simpan utuh dan sudah kami samarkan. "
                      "Data seperti ini tidak diperlukan di chat, jadi tidak perlu dikirim lagi ya.")


# --- flood protection (bot.channels.intake): too many messages from one customer, or from everyone ----------

FLOOD_SLOW_DOWN = ("Pesan Anda masuk sangat cepat, jadi beberapa pesan terakhir belum bisa saya proses. Mohon "
                   "tunggu sekitar satu menit, lalu kirim lagi pertanyaan Anda dalam satu pesan ya.")
BUSY = ("Mohon maaf, layanan kami sedang ramai sehingga pesan Anda belum bisa saya proses. Silakan coba kirim "
        "lagi sebentar lagi ya.")


# --- live handoff (bot.handoff): the customer while an agent holds the conversation -------------------------

HANDOFF_WAITING_IN_HOURS = (
    "Pesan Anda sudah saya teruskan ke agen bersama laporan {ticket_id}. Agen akan membalas langsung di chat ini, "
    "paling lambat {due}. Selama menunggu, saya tidak membalas dulu agar tidak membingungkan; ketik \"kembali ke "
    "bot\" jika ingin bertanya hal lain kepada saya.")
HANDOFF_WAITING_OUT_OF_HOURS = (
    "Pesan Anda sudah saya teruskan ke agen bersama laporan {ticket_id}. Saat ini di luar jam operasional agen "
    "({hours}); agen akan membalas di chat ini begitu bertugas, paling lambat {due}. Ketik \"kembali ke bot\" jika "
    "ingin bertanya hal lain kepada saya sambil menunggu.")
HANDOFF_WITH_AGENT = ("Pesan Anda sudah diteruskan ke {agent}; balasannya akan muncul di chat ini. Ketik "
                      "\"kembali ke bot\" jika ingin kembali ke asisten virtual.")
HANDOFF_CLAIMED = "{agent} sedang menangani laporan Anda ({ticket_id}). Balasannya akan muncul di chat ini."
HANDOFF_UNCLAIMED = (
    "Mohon maaf, agen kami belum sempat mengambil laporan {ticket_id} karena antrean sedang panjang. Tiket Anda "
    "tetap terbuka dan akan dibalas di chat ini, paling lambat {due}. Ketik \"kembali ke bot\" jika ingin "
    "bertanya hal lain kepada asisten virtual sambil menunggu.")
HANDOFF_LEFT = ("Baik, Anda kembali dilayani asisten virtual. Laporan {ticket_id} saya tutup dan agen sudah "
                "diberi tahu. Jika nanti masih perlu agen, tulis saja \"hubungi agen\". Ada yang bisa saya bantu?")
HANDOFF_RESOLVED = ("{agent} telah menyelesaikan laporan {ticket_id}. Terima kasih sudah menunggu; mulai sekarang "
                    "asisten virtual kembali melayani Anda.")
AGENT_SAYS = "{agent}:\n{text}"
AGENT_LABEL = "Agen {name}"
AGENT_UNNAMED = "Agen kami"   # an agent without a name, or no agent at all

CSAT_QUESTION = ("Seberapa puas Anda dengan bantuan agen untuk laporan {ticket_id}? Pilih 1 (tidak puas) sampai "
                 "5 (sangat puas).")
CSAT_CHOICES = {5: "5 - Sangat puas", 4: "4 - Puas", 3: "3 - Cukup", 2: "2 - Kurang puas", 1: "1 - Tidak puas"}
CSAT_THANKS = ("Terima kasih atas penilaiannya! Jika ada saran untuk kami, tulis saja di sini (opsional), "
               "atau pilih \"Lewati\".")
CSAT_SORRY = ("Terima kasih sudah jujur, dan mohon maaf pengalaman Anda belum memuaskan. Boleh ceritakan apa yang "
              "kurang? Masukan Anda kami sampaikan ke tim (opsional, atau pilih \"Lewati\").")
CSAT_SKIP = "Lewati"
CSAT_COMMENT_THANKS = "Terima kasih, masukan Anda sudah kami catat. Ada lagi yang bisa saya bantu?"
CSAT_SKIPPED = "Baik, terima kasih. Ada lagi yang bisa saya bantu?"
CSAT_ALREADY = "Penilaian untuk laporan {ticket_id} sudah kami terima sebelumnya. Terima kasih!"
CSAT_CLOSED = "Survei untuk laporan {ticket_id} sudah ditutup. Terima kasih, ada yang bisa saya bantu?"

# --- notes for agents (desks and the CLI) ----------------------------------------------------------------------

NOTE_CLAIMED = "Tiket {ticket_id} diambil oleh {agent}."
NOTE_CLOSED = "Tiket {ticket_id} diselesaikan oleh {agent}; survei kepuasan dikirim ke pelanggan."
NOTE_CUSTOMER_LEFT = "Pelanggan memilih kembali ke bot; tiket {ticket_id} ditutup tanpa survei."
NOTE_UNCLAIMED = "Tiket {ticket_id} belum diambil agen sejak {since}; pelanggan sudah diberi tahu dengan jujur."
NOTE_RATING = "Penilaian pelanggan untuk {ticket_id}: {rating}/5 ({label})."
NOTE_COMMENT = "Komentar pelanggan untuk {ticket_id}: {comment}"
NOTE_UNDELIVERABLE = "Pesan untuk pelanggan ({ticket_id}) TIDAK terkirim: {reason}. Isi pesan: {text}"
NOTE_SECRET = "(Pelanggan mengirim {what}; bagian itu sudah disamarkan dan pelanggan sudah diperingatkan.)"
NOTE_BUTTON = "(Pelanggan menekan tombol {payload})"

# --- incidents (bot.incidents): a notice shown before the answer, and the spike alert for agents ------------

INCIDENT_EMPATHY = "Mohon maaf atas ketidaknyamanannya."
INCIDENT_CONTINUE = ("Jika Anda tetap ingin melaporkan kendala Anda, saya tetap bantu catat detailnya untuk "
                     "agen kami.")
# The notice an operator publishes when no --message is given, by topic kind ({name}: BCA, TRC20, USDT).
INCIDENT_NOTICE_TEMPLATES = {
    "bank": ("Saat ini penarikan ke {name} sedang terganggu karena kendala di pihak bank, dan deposit dari {name} "
             "bisa ikut tertunda. Dana Anda aman: transaksi yang tertunda akan diproses setelah layanan pulih, jadi "
             "mohon tidak mengulang transaksi. Tim kami terus memantau dan akan segera memberi kabar."),
    "network": ("Saat ini deposit dan penarikan melalui jaringan {name} sedang terganggu. Dana Anda aman: "
                "transaksi yang tertunda akan diproses setelah jaringan kembali normal, jadi mohon tidak mengirim "
                "ulang transaksi. Tim kami terus memantau dan akan segera memberi kabar."),
    "coin": ("Saat ini deposit dan penarikan {name} sedang terganggu. Dana Anda aman: transaksi yang tertunda akan "
             "diproses setelah layanan kembali normal, jadi mohon tidak mengulang transaksi. Tim kami terus "
             "memantau dan akan segera memberi kabar."),
}
NOTE_SPIKE_TITLE = "Lonjakan pesan tentang {topic}"
NOTE_SPIKE_SUMMARY = "{count} pelanggan menulis tentang {topic} dalam {minutes} menit terakhir (biasanya ±{baseline})."
NOTE_SPIKE_EXAMPLES = "Contoh pesan (data rahasia disamarkan):"
NOTE_SPIKE_NOTICE = "Umumkan ke pelanggan agar mereka langsung mendapat penjelasan:"

# --- privacy requests under UU PDP (actions/privacy_request.py): access to or erasure of personal data ---------

PRIVACY_EMPATHY = "Saya mengerti data pribadi Anda penting dan Anda ingin kepastian. Saya bantu sekarang."
PRIVACY_ACCESS_RECEIVED = (
    "Baik, permintaan salinan data pribadi Anda sudah saya teruskan ke agen kami dengan nomor tiket {ticket_id}. "
    "Demi melindungi data Anda, agen akan lebih dulu memastikan bahwa Anda pemilik akun, melalui kanal resmi "
    "(aplikasi, atau e-mail/nomor HP terdaftar).")
PRIVACY_ACCESS_SCOPE = (
    "Setelah itu Anda menerima salinan data pribadi yang kami simpan tentang Anda (misalnya identitas dan kontak, "
    "rekening bank terdaftar, riwayat transaksi, dan riwayat chat layanan pelanggan), juga lewat kanal resmi, "
    "bukan lewat chat ini.")
PRIVACY_ACCESS_WHEN = ("Sesuai UU PDP, salinan data kami berikan paling lambat {deadline} (3×24 jam sejak "
                       "permintaan ini).")
PRIVACY_ERASURE_RECEIVED = (
    "Baik, permintaan penghapusan data pribadi Anda sudah saya teruskan ke agen kami dengan nomor tiket {ticket_id}. "
    "Saya sendiri tidak menghapus data apa pun: demi melindungi akun Anda, agen akan lebih dulu memastikan bahwa "
    "Anda pemilik akun, melalui kanal resmi (aplikasi, atau e-mail/nomor HP terdaftar).")
PRIVACY_ERASURE_SCOPE = (
    "Setelah itu kami menghapus data yang tidak wajib kami simpan, misalnya riwayat chat layanan pelanggan dan data "
    "kontak untuk promosi. Data identitas dan riwayat transaksi wajib tetap kami simpan selama masa yang ditetapkan "
    "aturan anti pencucian uang (OJK dan PPATK), lalu dihapus setelahnya. Agen akan memberi tahu data mana yang "
    "dihapus dan mana yang masih disimpan, serta pilihan Anda bila akun masih aktif.")
PRIVACY_ERASURE_WHEN = ("Kami menargetkan permintaan ini selesai paling lambat {deadline} (3×24 jam sejak "
                        "permintaan ini).")
PRIVACY_FOLLOW_UP = ("Mohon tanggapi verifikasi dari agen agar permintaan Anda selesai tepat waktu. Kami tidak pernah "
                     "meminta kata sandi, kode OTP, atau foto KTP lewat chat.")
# A question about the process ("gimana cara minta hapus data?") gets the privacy article and this offer first.
PRIVACY_ACCESS_OFFER = ("Mau saya ajukan permintaan salinan data pribadi Anda sekarang? Agen kami akan memverifikasi "
                        "identitas Anda lebih dulu.")
PRIVACY_ERASURE_OFFER = ("Mau saya ajukan permintaan penghapusan data pribadi Anda sekarang? Agen kami akan "
                         "memverifikasi identitas Anda lebih dulu; saya sendiri tidak menghapus data apa pun.")
BUTTON_PRIVACY_YES = "Ya, ajukan"
BUTTON_PRIVACY_NO = "Tidak sekarang"

# --- channels (bot.channels): fallbacks every channel sends the same way -----------------------------------

APOLOGY = ("Mohon maaf, sistem kami sedang mengalami gangguan sehingga pesan Anda belum bisa diproses. "
           "Pesan Anda sudah kami terima; silakan coba lagi beberapa saat lagi.")
NON_TEXT_REPLY = ("Maaf, saat ini saya hanya bisa membaca pesan teks. Boleh tuliskan pertanyaan atau kendala "
                  "Anda dalam bentuk teks? Jangan kirim foto kartu identitas, kata sandi, atau kode OTP ya.")
# The text above buttons when a reply has buttons but no text (Telegram and WhatsApp need one).
BUTTONS_ONLY_TEXT = "Silakan pilih salah satu:"
WHATSAPP_LIST_BUTTON = "Lihat pilihan"
WHATSAPP_LIST_SECTION = "Pilihan"

# --- the report form (actions.reporting.flow): help after an answer it could not use, and its acknowledgements --

REPORT_HELP_PROBLEM = "Pilih salah satu ya: penarikan, deposit, akun diretas, penipuan, atau lainnya."
REPORT_HELP_ASSET = "Sebutkan rupiah atau nama koinnya, contoh: \"rupiah\", \"USDT\", atau \"BTC\"."
REPORT_HELP_NETWORK = ("Jaringan yang umum dipakai: TRC20, ERC20, BEP20, BTC, atau SOL. Jaringannya tertera di "
                       "riwayat transaksi. Ketik \"tidak tahu\" jika tidak yakin.")
REPORT_HELP_AMOUNT = ("Jumlahnya belum saya kenali. Tulis seperti ini: \"Rp 1.500.000\", \"1,5 jt\", atau "
                      "\"100 USDT\".")
REPORT_HELP_TIME = "Waktunya belum saya pahami. Contoh: \"kemarin jam 10\", \"tadi pagi\", atau \"20/11 14:30\"."
REPORT_HELP_TXID = ("TXID belum saya temukan di pesan itu. TXID berupa 64 karakter (0-9, a-f) yang bisa disalin dari "
                    "menu Riwayat > detail transaksi. Ketik \"tidak tahu\" jika belum ada.")
REPORT_HELP_BANK_ACCOUNT = "Cukup sebutkan nama bank dan 4 digit terakhir nomor rekening, contoh: \"BCA 1234\"."
REPORT_HELP_ADDRESS = ("Alamat wallet belum saya temukan di pesan itu. Salin-tempel alamatnya langsung dari aplikasi, "
                       "contoh alamat TRC20: TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t.")
REPORT_HELP_DESCRIPTION = "Boleh ceritakan sedikit lebih rinci? Satu atau dua kalimat sudah cukup."
REPORT_NEEDED = ("Detail ini kami perlukan agar agen bisa langsung menelusuri transaksinya; perkiraan juga tidak "
                 "apa-apa. ")
REPORT_ACCEPTED_AS_IS = "Baik, saya catat apa adanya dan saya tandai agar dicek oleh agen."
REPORT_ACCEPTED_UNKNOWN = "Baik, tidak apa-apa. Saya catat sebagai belum diketahui."
REPORT_FULL_ACCOUNT = "Untuk keamanan, saya hanya mencatat 4 digit terakhir nomor rekening Anda."
REPORT_CORRECTED = "Baik, sudah saya perbarui: {changes}."
REPORT_DENIED = ("Bagian mana yang perlu diubah? Tulis saja nilai yang benar, misalnya \"jumlahnya 2 juta\" atau "
                 "\"jaringannya BEP20\". Ketik \"batal\" jika ingin membatalkan laporan.")
REPORT_CONFIRM_HELP = ("Balas \"ya\" untuk mengirim laporan ke agen, tulis nilai yang benar jika ada yang perlu "
                       "diubah, atau \"batal\" untuk membatalkan.")
REPORT_AGENT_ASKED = ("Laporan ini akan langsung saya teruskan ke agen begitu detailnya lengkap, supaya Anda tidak "
                      "perlu menjelaskan ulang. Tinggal sedikit lagi ya.")

# --- the report form's questions (actions.reporting.asking) and what it says about an answer it cannot use
# (actions.reporting.reading); {asset}, {bank}, {last4}, {options}, {when}, {reason}, {example} come from the answer

BUTTON_DONT_KNOW = "Tidak tahu"
BUTTONS_PROBLEM = ("Penarikan", "Deposit", "Akun diretas", "Penipuan", "Lainnya")
BUTTON_REPORT_SEND = "Ya, kirim ke agen"
BUTTON_REPORT_CANCEL = "Batalkan"
REPORT_ASK_PROBLEM = ("Supaya agen bisa langsung menindaklanjuti, saya catat dulu detailnya. "
                      "Kendalanya tentang apa?")
REPORT_ASK_ASSET_AFFECTED = ("Aset apa yang terdampak? Sebutkan rupiah atau nama koinnya. Ketik \"tidak tahu\" "
                             "jika belum yakin.")
REPORT_ASK_ASSET_WITHDRAWAL = "Penarikannya dalam rupiah atau kripto? Jika kripto, koin apa (mis. USDT, BTC)?"
REPORT_ASK_ASSET_DEPOSIT = "Depositnya dalam rupiah atau kripto? Jika kripto, koin apa (mis. USDT, BTC)?"
REPORT_ASK_NETWORK = "Lewat jaringan apa {asset} dikirim? Jaringannya tertera di riwayat transaksi."
REPORT_ASK_AMOUNT = "Berapa jumlahnya? Contoh: \"Rp 1.500.000\", \"1,5 jt\", atau \"100 USDT\"."
REPORT_ASK_AMOUNT_OPTIONAL = ("Berapa jumlahnya? Contoh: \"Rp 1.500.000\", \"1,5 jt\", atau \"100 USDT\". "
                              "Ketik \"tidak tahu\" jika belum yakin.")
REPORT_ASK_TIME_NOTICED = ("Kapan kejadiannya atau kapan Anda pertama kali menyadarinya? "
                           "Contoh: \"tadi pagi\", \"kemarin jam 10\", atau \"20/11 14:30\".")
REPORT_ASK_TIME = "Kapan transaksinya dilakukan? Contoh: \"kemarin jam 10\", \"tadi pagi\", atau \"20/11 14:30\"."
REPORT_ASK_REFERENCE = ("Jika ada, kirimkan ID transaksi atau nomor referensi transfernya. Ketik \"tidak tahu\" "
                        "jika tidak ada.")
REPORT_ASK_TXID = ("Jika ada, kirimkan TXID (hash transaksi) atau ID penarikan dari menu Riwayat > detail "
                   "transaksi. Ketik \"tidak tahu\" jika belum ada.")
REPORT_ASK_ACCOUNT_DIGITS = "Boleh sebutkan 4 digit terakhir nomor rekening {bank} Anda?"
REPORT_ASK_ACCOUNT_BANK = "Rekening berakhiran {last4} itu di bank apa? Contoh: BCA, BRI, atau Mandiri."
REPORT_ASK_ACCOUNT_WITHDRAWAL = ("Ke rekening bank mana penarikannya? Cukup sebutkan nama bank dan 4 digit terakhir "
                                 "nomor rekening, contoh: \"BCA 1234\".")
REPORT_ASK_ACCOUNT_DEPOSIT = ("Dari rekening bank mana Anda transfer? Cukup sebutkan nama bank dan 4 digit terakhir "
                              "nomor rekening, contoh: \"BCA 1234\".")
REPORT_ASK_ADDRESS_FRAUD = ("Jika ada, kirimkan alamat wallet penerima (pelaku). Ketik \"tidak tahu\" jika tidak "
                            "ada.")
REPORT_ASK_ADDRESS_WITHDRAWAL = "Ke alamat wallet mana {asset} dikirim? Mohon salin-tempel alamat tujuannya."
REPORT_ASK_ADDRESS_DEPOSIT = ("Ke alamat mana Anda mengirim {asset}? (alamat deposit Anda di aplikasi kami). "
                              "Ketik \"tidak tahu\" jika tidak ada.")
REPORT_ASK_DESCRIPTION_HACKED = ("Boleh ceritakan singkat apa yang terjadi? Misalnya transaksi apa yang tidak Anda "
                                 "kenali dan apakah Anda masih bisa masuk ke akun.")
REPORT_ASK_DESCRIPTION_FRAUD = ("Boleh ceritakan singkat kronologinya? Misalnya lewat mana pelaku menghubungi Anda "
                                "dan apa yang sudah dikirim.")
REPORT_ASK_DESCRIPTION = "Boleh ceritakan kendalanya secara singkat? Agen kami akan membacanya lengkap."
REPORT_ASK_AMOUNT_CHOICE = ("Maksud Anda {options}? Huruf \"m\" bisa berarti keduanya, jadi saya pastikan dulu agar "
                            "tidak salah catat.")
REPORT_SUMMARY_INTRO = "Berikut ringkasan laporan Anda:"
REPORT_SUMMARY_CHECK = ("Apakah sudah benar? Jika ada yang keliru, tulis saja nilai yang benar "
                        "(mis. \"jumlahnya 2 juta\").")
REPORT_UNVERIFIED_NOTE = " (belum terverifikasi)"
REPORT_WHICH_COIN = "Koin apa yang dimaksud? Contoh: USDT, BTC, atau ETH."
REPORT_AMOUNT_OUT_OF_RANGE = ("Jumlahnya sepertinya kurang tepat. Tulis jumlah transaksinya, contoh: \"Rp 1.500.000\", "
                              "\"1,5 jt\", atau \"100 USDT\".")
REPORT_TIME_IN_FUTURE = ("Waktu yang Anda sebut ({when}) masih di masa depan. Kapan transaksinya dilakukan? Contoh: "
                         "\"kemarin jam 10\" atau \"20/11 14:30\".")
REPORT_TXID_INVALID = ("Maaf, {reason}. Salin TXID dari menu Riwayat > detail transaksi, atau ketik \"tidak tahu\" "
                       "jika belum ada.")
REPORT_ADDRESS_INVALID = ("Maaf, alamat itu sepertinya belum benar: {reason}.{hint} Sebaiknya salin-tempel langsung "
                          "dari aplikasi agar tidak ada karakter yang keliru.")
REPORT_ADDRESS_HINT = " Sebagai acuan, {example}."
# By address family (nlu.addresses); the hint above quotes one.
REPORT_ADDRESS_EXAMPLES = {
    "evm": "alamat EVM diawali 0x lalu 40 karakter, mis. 0x52908400098527886E0F7030069857D2E4169EE7",
    "tron": "alamat TRC20 diawali huruf T dan panjangnya 34 karakter, mis. TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
    "btc": "alamat Bitcoin diawali bc1, 1, atau 3, mis. bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
    "solana": "alamat Solana berupa 32–44 karakter huruf dan angka",
}


def secret_warning(kinds: List[str]) -> List[str]:
    """The two warning messages: what was removed and that we never ask for it, then what to do now."""
    names = list(dict.fromkeys(SECRET_NAMES[k] for k in kinds if k in SECRET_NAMES))
    what = " dan ".join(names) if names else "data rahasia"
    return [SECRET_WARNING.format(what=what), SECRET_STEPS]
