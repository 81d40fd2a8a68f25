"""Indonesian reply copy used by the custom actions, in one place for review and tone."""
from __future__ import annotations

from typing import Dict

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
BUTTON_NONE_OF_THESE = "Bukan semuanya"

CLARIFY = "Supaya jawabannya tepat, maksud Anda yang mana?"
UNCLEAR = ("Maaf, saya belum menangkap maksud pesan Anda. Boleh ceritakan kendalanya dalam satu atau dua kalimat? "
           "Contoh: \"cara deposit rupiah\" atau \"penarikan saya gagal\".")
EMPTY = ("Sepertinya pesan Anda kosong atau hanya berisi simbol. Silakan tuliskan pertanyaan Anda, "
         "misalnya \"cara aktivasi 2FA\".")
JUNK = ("Maaf, pesan Anda tidak bisa saya baca, mungkin ada karakter yang rusak. "
        "Boleh dikirim ulang dalam bentuk teks biasa?")
FOREIGN = ("Mohon maaf, saat ini saya hanya bisa melayani dalam Bahasa Indonesia. "
           "(Sorry, I can only help in Indonesian for now.) Silakan tulis pertanyaan Anda dalam Bahasa Indonesia, "
           "atau pilih topik di bawah ini.")

GLAD = "Senang bisa membantu! Ada lagi yang bisa saya bantu?"
SORRY_NOT_HELPFUL = ("Maaf jawabannya belum menyelesaikan masalah Anda. Anda bisa melihat topik terkait di bawah, "
                     "menjelaskan kendalanya lebih rinci, atau meminta bantuan agen kami.")
ACK_YES = "Baik. Ada yang bisa saya bantu? Silakan tulis pertanyaan Anda."
ACK_NO = "Baik, tidak masalah. Kalau ada yang ingin ditanyakan, tulis saja ya."

REPORT_NEXT_STEPS = ("Jika setelah langkah di atas masalahnya belum selesai, agen kami siap membantu. "
                     "Agar bisa langsung ditindaklanjuti, siapkan: {details}. "
                     "Kami tidak akan pernah meminta kata sandi, kode OTP, private key, atau seed phrase Anda.")
DETAILS_IDR = "jumlah, tanggal & jam transaksi, nama bank dan 4 digit terakhir rekening, serta ID transaksi"
DETAILS_CRYPTO = "koin, jaringan (mis. TRC20/ERC20/BEP20), jumlah, tanggal & jam, TXID, dan alamat tujuan"

HUMAN_INTRO = ("Tentu, saya bantu hubungkan dengan agen kami. Agen manusia bertugas setiap hari pukul "
               "08.00–22.00 WIB; di luar jam itu pesan Anda dibalas mulai pagi berikutnya.")
HUMAN_DETAILS = ("Agar agen bisa langsung menindaklanjuti tanpa bertanya ulang, tuliskan ringkas: apa masalahnya, "
                 "kapan terjadi, jumlah dan aset (rupiah/koin), serta TXID atau ID transaksi jika ada. "
                 "Jangan pernah mengirim kata sandi, kode OTP, private key, atau seed phrase.")

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
