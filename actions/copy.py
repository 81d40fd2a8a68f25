"""Indonesian reply copy used by the custom actions, in one place for review and tone."""
from __future__ import annotations

from typing import Dict

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
